"""The viewer read model: one way to read a viewer, whichever page or API shows them — the
searchable list (API, dashboard, CSV segments), a rep's own readers, one viewer's detail."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.errors import BadRequest, NotFound
from service.models import Rep, utcnow
from service.models.tracking import Viewer
from service.tracking import repository
from service.tracking.repository import Visit
from service.tracking.schemas import TagRead, ViewerDetail, ViewerPage, ViewerRead, VisitRead
from service.tracking.units import seconds

MAX_DAYS = 3660
SEGMENT_LIMIT = 50_000  # one CSV; far more than a team follows up in a week
REP_READERS = 200  # the rep page ranks today's warmest among the most recent of these


def get(session: Session, *, org_id: int, viewer_id: int) -> Viewer:
    """The viewer in `org_id`; any other id is 404, whoever it belongs to."""
    viewer = repository.get_viewer(session, org_id=org_id, viewer_id=viewer_id)
    if viewer is None:
        raise NotFound(f"no viewer {viewer_id}", code="viewer_not_found")
    return viewer


def reads(session: Session, *, org_id: int, found: Sequence[Viewer]) -> list[ViewerRead]:
    tags: dict[int, list[TagRead]] = defaultdict(list)
    for tag in repository.tags_of(session, org_id=org_id, viewer_ids=[v.id for v in found]):
        tags[tag.viewer_id].append(TagRead(tag=tag.tag, kind=tag.kind, evidence=tag.evidence))
    names = repository.rep_names(session, org_id=org_id, rep_ids=[v.first_rep_id for v in found])
    return [
        ViewerRead(
            id=viewer.id,
            label=viewer.label,
            rep_id=viewer.first_rep_id,
            rep_name=names.get(viewer.first_rep_id or 0, ""),
            views=viewer.views,
            engaged_seconds=seconds(viewer.engaged_ms) or 0.0,
            last_seen_at=viewer.last_seen_at,
            created_at=viewer.created_at,
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
    rep_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ViewerPage:
    """Most recently seen first; `tags` must all be present; `days`: seen in that many days;
    `rep_id`: only those who opened one of that rep's links."""
    found, total = repository.search_viewers(
        session,
        org_id=org_id,
        q=q,
        tags=[t for t in tags if t],
        rep_id=rep_id,
        seen_since=since_days(days),
        limit=limit,
        offset=offset,
    )
    viewers = reads(session, org_id=org_id, found=found)
    return ViewerPage(total=total, offset=offset, limit=limit, viewers=viewers)


def of_rep(session: Session, rep: Rep) -> list[ViewerRead]:
    """A rep's own readers only: those who opened one of this rep's share links."""
    return page(session, org_id=rep.org_id, rep_id=rep.id, limit=REP_READERS).viewers


def segment(
    session: Session, *, org_id: int, tags: Sequence[str], days: int | None
) -> list[ViewerRead]:
    """Everyone with all of `tags`, seen in the last `days` (e.g. 深读 + 育儿, 7 days)."""
    if not [t for t in tags if t]:
        raise BadRequest("name at least one tag: ?tag=深读", code="tag_required")
    return page(session, org_id=org_id, tags=tags, days=days, limit=SEGMENT_LIMIT).viewers


def tag_names(session: Session, *, org_id: int) -> list[str]:
    return repository.tag_names(session, org_id=org_id)


def detail(session: Session, viewer: Viewer, *, rep_id: int | None = None) -> ViewerDetail:
    """The viewer with tags and every page view, newest first (`rep_id`: only the views of
    that rep's links, so a rep never sees what a colleague's link showed)."""
    (read,) = reads(session, org_id=viewer.org_id, found=[viewer])
    visits = repository.visits(session, org_id=viewer.org_id, viewer_id=viewer.id)
    timeline = [visit_read(v) for v in visits if rep_id is None or v.rep_id == rep_id]
    return ViewerDetail(**read.model_dump(), timeline=timeline)


def visit_read(visit: Visit) -> VisitRead:
    return VisitRead(
        page_view_id=visit.id,
        post_id=visit.post_id,
        post_title=visit.title,
        rep_id=visit.rep_id,
        rep_name=visit.rep_name,
        via_viewer_id=visit.parent_viewer_id,
        channel=visit.channel,
        opened_at=visit.opened_at,
        last_event_at=visit.last_event_at,
        engaged_seconds=seconds(visit.read_ms) or 0.0,
        visible_seconds=seconds(visit.visible_ms) or 0.0,
        max_scroll_percent=visit.max_scroll,
        sections={key: seconds(int(ms)) or 0.0 for key, ms in (visit.sections or {}).items()},
    )


def label(session: Session, viewer: Viewer, *, text: str) -> ViewerDetail:
    """Staff name a viewer ("老客户"); `text` is checked by ViewerLabel at the edge."""
    viewer.label = text
    session.flush()
    return detail(session, viewer)
