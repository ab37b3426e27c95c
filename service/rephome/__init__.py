"""The rep's home at the personal link: copies, posting slots and readers on one page."""
