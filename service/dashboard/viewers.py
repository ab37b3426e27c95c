"""The dashboard's viewers: the searchable list, one viewer's timeline and tag segments, all
read through the one viewer read model (service/tracking/viewers.py); what this module adds
is only what the dashboard shows around it (the segment as a CSV)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.dashboard import export
from service.tracking.viewers import detail, page, segment, tag_names

__all__ = ["detail", "page", "segment", "segment_csv", "tag_names"]


def segment_csv(
    session: Session, *, org_id: int, tags: Sequence[str], days: int | None
) -> Response:
    """The segment for reps to follow up, named after its tags and days."""
    found = segment(session, org_id=org_id, tags=tags, days=days)
    name = "+".join(tags) + (f"-{days}天" if days else "")
    return export.viewers(found, filename=f"读者-{name}.csv")
