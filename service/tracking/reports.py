"""Read models over a post's page views: each view, and the re-share tree. (Viewers are read
through the one viewer read model, service/tracking/viewers.py.)"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from service.models import Rep
from service.models.tracking import PageView
from service.reps import repository as reps_repository
from service.tracking import repository
from service.tracking.schemas import RepBranch, ShareNode, ShareTree, ViewRead
from service.tracking.units import seconds


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
    labels = repository.viewer_labels(session, org_id=org_id, viewer_ids=list(first))

    def node(viewer_id: int, seen: frozenset[int]) -> ShareNode:
        count, engaged = totals[viewer_id]
        return ShareNode(
            viewer_id=viewer_id,
            label=labels.get(viewer_id, ""),
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
