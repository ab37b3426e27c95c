"""Read models over page views: per post, per viewer, and the re-share tree."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from service.models import Rep
from service.models.tracking import PageView, Viewer, ViewerTag
from service.reps import repository as reps_repository
from service.tracking import repository
from service.tracking.schemas import (
    RepBranch,
    ShareNode,
    ShareTree,
    TagRead,
    ViewerDetail,
    ViewerRead,
    ViewRead,
)


def seconds(ms: int | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)


def view_read(view: PageView) -> ViewRead:
    return ViewRead(
        id=view.id,
        post_id=view.post_id,
        viewer_id=view.viewer_id,
        rep_id=view.rep_id,
        parent_viewer_id=view.parent_viewer_id,
        channel=view.channel,
        opened_at=view.opened_at,
        last_event_at=view.last_event_at,
        engaged_seconds=seconds(view.engaged_ms),
        visible_seconds=seconds(view.visible_ms) or 0.0,
        max_scroll_percent=view.max_scroll,
        sections={key: seconds(int(ms)) or 0.0 for key, ms in (view.sections or {}).items()},
    )


def viewer_read(viewer: Viewer, tags: list[ViewerTag]) -> ViewerRead:
    return ViewerRead(
        id=viewer.id,
        label=viewer.label,
        first_rep_id=viewer.first_rep_id,
        views=viewer.views,
        engaged_seconds=seconds(viewer.engaged_ms) or 0.0,
        last_seen_at=viewer.last_seen_at,
        created_at=viewer.created_at,
        tags=[TagRead(tag=t.tag, kind=t.kind, evidence=t.evidence) for t in tags],
    )


def viewers(
    session: Session, *, org_id: int, tag: str | None = None, rep_id: int | None = None
) -> list[ViewerRead]:
    found = repository.viewers(session, org_id=org_id, tag=tag, rep_id=rep_id)
    tags: dict[int, list[ViewerTag]] = defaultdict(list)
    for row in repository.tags_of(session, org_id=org_id, viewer_ids=[v.id for v in found]):
        tags[row.viewer_id].append(row)
    return [viewer_read(viewer, tags[viewer.id]) for viewer in found]


def viewer_detail(session: Session, viewer: Viewer, *, rep_id: int | None = None) -> ViewerDetail:
    """The viewer with tags and page views (`rep_id`: only views of that rep's links)."""
    tags = repository.tags_of(session, org_id=viewer.org_id, viewer_ids=[viewer.id])
    views = repository.views_of_viewer(session, org_id=viewer.org_id, viewer_id=viewer.id)
    return ViewerDetail(
        **viewer_read(viewer, tags).model_dump(),
        page_views=[view_read(v) for v in views if rep_id is None or v.rep_id == rep_id],
    )


def share_tree(session: Session, *, org_id: int, post_id: int) -> ShareTree:
    """Each rep's link at the root; under it whoever opened it, under them whom they sent it to.

    A viewer sits under the parent of their first view of the post (later opens may come
    through other links, but the first one is how they found it)."""
    first: dict[int, PageView] = {}
    totals: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for view in repository.views_of_post(session, org_id=org_id, post_id=post_id):
        first.setdefault(view.viewer_id, view)
        count, engaged = totals[view.viewer_id]
        totals[view.viewer_id] = (count + 1, engaged + (view.engaged_ms or 0))
    children: dict[int | None, list[int]] = defaultdict(list)
    for viewer_id, view in first.items():
        parent = view.parent_viewer_id if view.parent_viewer_id in first else None
        children[parent].append(viewer_id)
    viewers = {v.id: v for v in repository.viewers(session, org_id=org_id, limit=100_000)}

    def node(viewer_id: int, seen: frozenset[int]) -> ShareNode:
        count, engaged = totals[viewer_id]
        viewer = viewers.get(viewer_id)
        return ShareNode(
            viewer_id=viewer_id,
            label=viewer.label if viewer else "",
            views=count,
            engaged_seconds=seconds(engaged) or 0.0,
            channel=first[viewer_id].channel,
            children=[
                node(child, seen | {child})
                for child in children.get(viewer_id, [])
                if child not in seen
            ],
        )

    by_rep: dict[int, list[ShareNode]] = defaultdict(list)
    for viewer_id in children.get(None, []):
        by_rep[first[viewer_id].rep_id].append(node(viewer_id, frozenset({viewer_id})))
    reps: dict[int, Rep | None] = {
        rep_id: reps_repository.get(session, org_id=org_id, rep_id=rep_id) for rep_id in by_rep
    }
    return ShareTree(
        post_id=post_id,
        reps=[
            RepBranch(rep_id=rep_id, rep_name=(rep.name if rep else ""), children=nodes)
            for rep_id, nodes in sorted(by_rep.items())
            for rep in [reps[rep_id]]
        ],
    )
