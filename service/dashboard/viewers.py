"""Viewers for managers: the searchable list, one viewer's timeline, tag segments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.dashboard import repository
from service.dashboard.schemas import (
    TimelineEntry,
    ViewerPage,
    ViewerRow,
    ViewerTagRead,
    ViewerTimeline,
)
from service.dashboard.stats import seconds
from service.errors import BadRequest
from service.models import utcnow
from service.models.tracking import Viewer

MAX_DAYS = 3660
SEGMENT_LIMIT = 50_000  # one CSV; far more than a team follows up in a week


def rows(session: Session, *, org_id: int, found: Sequence[Viewer]) -> list[ViewerRow]:
    tags = defaultdict(list)
    for tag in repository.tags_of(session, org_id=org_id, viewer_ids=[v.id for v in found]):
        tags[tag.viewer_id].append(ViewerTagRead(tag=tag.tag, kind=tag.kind, evidence=tag.evidence))
    reps = repository.reps(session, org_id=org_id)
    return [
        ViewerRow(
            id=viewer.id,
            label=viewer.label,
            rep_id=viewer.first_rep_id,
            rep_name=reps[viewer.first_rep_id].name if viewer.first_rep_id in reps else "",
            views=viewer.views,
            engaged_seconds=seconds(viewer.engaged_ms) or 0.0,
            last_seen_at=viewer.last_seen_at,
            tags=tags[viewer.id],
        )
        for viewer in found
    ]


def since_days(days: int | None, *, now: datetime | None = None) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_DAYS:
        raise BadRequest(f"days must be between 1 and {MAX_DAYS}", code="invalid_days")
    return (now or utcnow()) - timedelta(days=days)


def page(
    session: Session,
    *,
    org_id: int,
    q: str = "",
    tags: Sequence[str] = (),
    days: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ViewerPage:
    """Most recently seen first; `tags` must all be present; `days`: seen in that many days."""
    found, total = repository.search_viewers(
        session,
        org_id=org_id,
        q=q,
        tags=[t for t in tags if t],
        seen_since=since_days(days),
        limit=limit,
        offset=offset,
    )
    return ViewerPage(
        total=total,
        offset=offset,
        limit=limit,
        viewers=rows(session, org_id=org_id, found=found),
    )


def segment(
    session: Session, *, org_id: int, tags: Sequence[str], days: int | None
) -> list[ViewerRow]:
    """Everyone with all of `tags`, seen in the last `days` (e.g. 深读 + 育儿, 7 days)."""
    if not [t for t in tags if t]:
        raise BadRequest("name at least one tag: ?tag=深读", code="tag_required")
    return page(session, org_id=org_id, tags=tags, days=days, limit=SEGMENT_LIMIT).viewers


def timeline(session: Session, viewer: Viewer) -> ViewerTimeline:
    (row,) = rows(session, org_id=viewer.org_id, found=[viewer])
    entries = [
        TimelineEntry(
            page_view_id=view.id,
            post_id=view.post_id,
            post_title=view.title,
            rep_id=view.rep_id,
            rep_name=view.rep_name,
            via_viewer_id=view.parent_viewer_id,
            channel=view.channel,
            opened_at=view.opened_at,
            engaged_seconds=seconds(view.read_ms) or 0.0,
            max_scroll_percent=view.max_scroll,
        )
        for view in repository.timeline(session, org_id=viewer.org_id, viewer_id=viewer.id)
    ]
    return ViewerTimeline(**row.model_dump(), timeline=entries)
