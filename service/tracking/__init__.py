"""Read tracking: share links, the landing page, the beacon endpoint, folding and tags."""
