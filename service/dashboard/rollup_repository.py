"""The roll-up's SQL (models/rollup.py): a post's roll-up rebuilt from its page views by
set-based SQL, the same on SQLite and PostgreSQL (only the JSON function's name differs), plus
the re-share tree's counts and per-rep medians worked out in Python; and the look-ups that say
which roll-ups are stale (when to rebuild: service/dashboard/rollup.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from service.dashboard.stats import median
from service.db import is_postgres
from service.models import utcnow
from service.models.rollup import ROLLUP_MODELS, PostRead, PostRep, PostRollup, PostViewer
from service.models.tracking import PageView

_FIRST = """(SELECT viewer_id, MIN(id) AS id FROM page_views
      WHERE org_id = :org AND post_id = :post GROUP BY viewer_id)"""
_STEPS = [
    """INSERT INTO dash_post_reads (post_id, rep_id, viewer_id, org_id, views, read_ms)
    SELECT :post, rep_id, viewer_id, :org, COUNT(*), SUM(COALESCE(engaged_ms, visible_ms))
    FROM page_views WHERE org_id = :org AND post_id = :post GROUP BY rep_id, viewer_id""",
    f"""INSERT INTO dash_post_viewers (post_id, viewer_id, org_id, views, read_ms, deepest,
                                   rep_id, parent_viewer_id, direct, downstream)
    SELECT :post, p.viewer_id, :org, COUNT(*), SUM(COALESCE(p.engaged_ms, p.visible_ms)),
           MAX(p.max_scroll), MAX(CASE WHEN p.id = f.id THEN p.rep_id END),
           MAX(CASE WHEN p.id = f.id THEN p.parent_viewer_id END), 0, 0
    FROM page_views AS p JOIN {_FIRST} AS f ON f.viewer_id = p.viewer_id
    WHERE p.org_id = :org AND p.post_id = :post GROUP BY p.viewer_id""",
    # Sent by themselves, or by someone who never opened this post: a root under the rep.
    """UPDATE dash_post_viewers SET parent_viewer_id = NULL
    WHERE post_id = :post AND parent_viewer_id IS NOT NULL
      AND (parent_viewer_id = viewer_id OR parent_viewer_id NOT IN
           (SELECT viewer_id FROM dash_post_viewers WHERE post_id = :post))""",
]
_REPS = """INSERT INTO dash_post_reps (post_id, rep_id, org_id, views, viewers, read_ms,
                                      median_ms, reach, roots)
SELECT :post, a.rep_id, :org, a.views, a.viewers, a.ms, NULL, COALESCE(b.reach, 0),
       COALESCE(b.roots, 0)
FROM (SELECT rep_id, SUM(views) AS views, COUNT(*) AS viewers, SUM(read_ms) AS ms
      FROM dash_post_reads WHERE post_id = :post GROUP BY rep_id) AS a
LEFT JOIN (SELECT rep_id, COUNT(*) AS reach,
                  SUM(CASE WHEN parent_viewer_id IS NULL THEN 1 ELSE 0 END) AS roots
           FROM dash_post_viewers WHERE post_id = :post GROUP BY rep_id) AS b
  ON b.rep_id = a.rep_id"""
_SECTIONS = """INSERT INTO dash_post_sections (post_id, section, org_id, ms)
SELECT :post, j.key, :org, SUM(CAST(j.value AS BIGINT))
FROM page_views AS p, {each}(p.sections) AS j
WHERE p.org_id = :org AND p.post_id = :post GROUP BY j.key"""


def _fingerprint() -> Any:
    return (func.count(PageView.id), func.coalesce(func.sum(PageView.beacons), 0))


def refresh_post(
    session: Session, *, org_id: int, post_id: int, now: datetime | None = None
) -> int:
    """Replace the post's roll-up with what its page views say now; returns the views."""
    for model in ROLLUP_MODELS:
        session.execute(delete(model).where(model.org_id == org_id, model.post_id == post_id))
    params = {"org": org_id, "post": post_id}
    for step in _STEPS:
        session.execute(text(step), params)
    _count_tree(session, post_id=post_id)
    session.execute(text(_REPS), params)
    _rep_medians(session, post_id=post_id)
    each = "json_each_text" if is_postgres(session) else "json_each"
    session.execute(text(_SECTIONS.format(each=each)), params)
    views, beacons = session.execute(
        select(*_fingerprint()).where(PageView.org_id == org_id, PageView.post_id == post_id)
    ).one()
    row = session.get(PostRollup, post_id)
    if row is None:
        row = PostRollup(post_id=post_id, org_id=org_id)
        session.add(row)
    row.views, row.beacons, row.refreshed_at = int(views), int(beacons), now or utcnow()
    session.flush()
    return row.views


def _count_tree(session: Session, *, post_id: int) -> None:
    """`direct` and `downstream` of every viewer whose link brought someone; bottom-up
    without recursion (chains can be long), and a cycle counts nobody twice."""
    edges = session.connection().execute(
        select(PostViewer.viewer_id, PostViewer.parent_viewer_id).where(
            PostViewer.post_id == post_id, PostViewer.parent_viewer_id.is_not(None)
        )
    )
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in edges:
        if parent is not None:  # always, by the query's condition
            children[parent].append(child)
    forwarded = {child for kids in children.values() for child in kids}
    order, seen = [], set()
    stack = [node for node in children if node not in forwarded]  # the chains' tops
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)
            stack.extend(children.get(node, []))
    downstream: dict[int, int] = {}
    for node in reversed(order):
        kids = [c for c in children.get(node, []) if c in seen]
        downstream[node] = len(kids) + sum(downstream.get(c, 0) for c in kids)
    rows = [
        {"v": node, "d": len(children[node]), "n": downstream[node]}
        for node in order
        if node in children
    ]
    if rows:
        session.connection().execute(
            update(PostViewer)
            .where(PostViewer.post_id == post_id, PostViewer.viewer_id == bindparam("v"))
            .values(direct=bindparam("d"), downstream=bindparam("n")),
            rows,
        )


def _rep_medians(session: Session, *, post_id: int) -> None:
    reads: dict[int, list[int]] = defaultdict(list)
    query = select(PostRead.rep_id, PostRead.read_ms).where(PostRead.post_id == post_id)
    for rep_id, ms in session.connection().execute(query):
        reads[rep_id].append(int(ms or 0))
    rows = [{"r": rep_id, "m": median(values)} for rep_id, values in reads.items()]
    if rows:
        session.connection().execute(
            update(PostRep)
            .where(PostRep.post_id == post_id, PostRep.rep_id == bindparam("r"))
            .values(median_ms=bindparam("m")),
            rows,
        )


def refreshed_at(session: Session, *, org_id: int, post_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of the posts' roll-ups was last rebuilt (posts without one: absent)."""
    query = select(PostRollup.post_id, PostRollup.refreshed_at).where(
        PostRollup.org_id == org_id, PostRollup.post_id.in_(list(post_ids))
    )
    return {row[0]: row[1] for row in session.execute(query)}


def stale_posts(session: Session) -> list[tuple[int, int]]:
    """(org id, post id) of every post whose page views changed since its roll-up."""
    now = (
        select(PageView.org_id, PageView.post_id, *_fingerprint())
        .group_by(PageView.org_id, PageView.post_id)
        .subquery()
    )
    views, beacons = now.c[2], now.c[3]
    query = (
        select(now.c.org_id, now.c.post_id)
        .outerjoin(PostRollup, PostRollup.post_id == now.c.post_id)
        .where(
            PostRollup.post_id.is_(None)
            | (PostRollup.views != views)
            | (PostRollup.beacons != beacons)
        )
    )
    return [(int(org), int(post)) for org, post in session.execute(query)]
