"""SQL for the dashboard; every function is scoped to one organisation (a required argument).

Reading figures come from the roll-up (models/rollup.py), whose read time of a page view is
`COALESCE(engaged_ms, visible_ms)`, the measure the tag job uses, so the funnel's 细读/深读
counts agree with the tags a viewer gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.dashboard.stats import median
from service.db import is_postgres
from service.models import Copy, Plan, PlanItem, Post, Rep
from service.models.rollup import PostRead, PostRep, PostViewer


@dataclass(frozen=True)
class RepInfo:
    id: int
    name: str
    team: str
    phone: str
    active: bool


def reps(session: Session, *, org_id: int, team: str | None = None) -> dict[int, RepInfo]:
    query = select(Rep.id, Rep.name, Rep.team, Rep.phone, Rep.active).where(Rep.org_id == org_id)
    if team:
        query = query.where(Rep.team == team)
    return {row.id: RepInfo(*row) for row in session.execute(query.order_by(Rep.id))}


def teams(session: Session, *, org_id: int) -> list[str]:
    query = select(Rep.team).where(Rep.org_id == org_id, Rep.team != "").distinct()
    return sorted(session.scalars(query))


def copies_of_post(
    session: Session, *, org_id: int, post_id: int
) -> list[tuple[int, datetime, datetime | None]]:
    """(rep id, opened at, posted at) of every copy a rep opened."""
    query = select(Copy.rep_id, Copy.opened_at, Copy.posted_at).where(
        Copy.org_id == org_id, Copy.post_id == post_id, Copy.opened_at.is_not(None)
    )
    return [(r.rep_id, r.opened_at, r.posted_at) for r in session.execute(query)]


def slots_of_post(session: Session, *, org_id: int, post_id: int) -> dict[int, datetime]:
    """{rep id: suggested posting time} from the post's publish plan."""
    query = select(PlanItem.rep_id, PlanItem.slot_at).where(
        PlanItem.org_id == org_id, PlanItem.post_id == post_id
    )
    return {rep_id: slot_at for rep_id, slot_at in session.execute(query)}


def published_posts(
    session: Session,
    *,
    org_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[tuple[int, str, datetime]]:
    """(id, title, published at), newest first, published in [since, until)."""
    query = select(Post.id, Post.title, Post.published_at).where(
        Post.org_id == org_id, Post.published_at.is_not(None)
    )
    if since is not None:
        query = query.where(Post.published_at >= since)
    if until is not None:
        query = query.where(Post.published_at < until)
    query = query.order_by(Post.published_at.desc(), Post.id.desc()).limit(limit)
    return [(r.id, r.title, r.published_at) for r in session.execute(query)]


def _in_team(query: Any, rep_column: Any, *, org_id: int, team: str | None) -> Any:
    if not team:
        return query
    return query.where(rep_column.in_(select(Rep.id).where(Rep.org_id == org_id, Rep.team == team)))


def copy_counts(
    session: Session, *, org_id: int, post_ids: Sequence[int], team: str | None = None
) -> dict[int, tuple[int, int]]:
    """{post id: (copies opened, copies marked 我已发布)}."""
    query = (
        select(Copy.post_id, func.count(Copy.opened_at), func.count(Copy.posted_at))
        .where(Copy.org_id == org_id, Copy.post_id.in_(list(post_ids)))
        .group_by(Copy.post_id)
    )
    query = _in_team(query, Copy.rep_id, org_id=org_id, team=team)
    return {r[0]: (int(r[1]), int(r[2])) for r in session.execute(query)}


def planned(session: Session, *, org_id: int, post_ids: Sequence[int]) -> dict[int, set[int]]:
    """{post id: the reps its plan targets}, for the posts that have a plan."""
    plans = select(Plan.post_id).where(Plan.org_id == org_id, Plan.post_id.in_(list(post_ids)))
    found: dict[int, set[int]] = {post_id: set() for post_id in session.scalars(plans)}
    items = select(PlanItem.post_id, PlanItem.rep_id).where(
        PlanItem.org_id == org_id, PlanItem.post_id.in_(list(found))
    )
    for post_id, rep_id in session.execute(items):
        found[post_id].add(rep_id)
    return found


def per_viewer_reads(*, org_id: int, post_ids: Sequence[int], team: str | None) -> Any:
    """A subquery of the roll-up: one row per (post, viewer) with views and read time;
    with `team`, only what came through that team's reps' links."""
    if not team:
        v = PostViewer
        return (
            select(v.post_id.label("key"), v.viewer_id, v.views, v.read_ms.label("ms"))
            .where(v.org_id == org_id, v.post_id.in_(list(post_ids)))
            .subquery()
        )
    query = (
        select(
            PostRead.post_id.label("key"),
            PostRead.viewer_id,
            func.sum(PostRead.views).label("views"),
            func.sum(PostRead.read_ms).label("ms"),
        )
        .where(PostRead.org_id == org_id, PostRead.post_id.in_(list(post_ids)))
        .group_by(PostRead.post_id, PostRead.viewer_id)
    )
    return _in_team(query, PostRead.rep_id, org_id=org_id, team=team).subquery()


def reading_stats(
    session: Session,
    *,
    org_id: int,
    post_ids: Sequence[int],
    careful_ms: int,
    deep_ms: int,
    team: str | None = None,
) -> dict[int, tuple[int, int, int, int, int, float | None]]:
    """{post id: (views, unique viewers, 细读 viewers, 深读 viewers, read ms, median read ms)}.

    The median is over viewers (each viewer's total); PostgreSQL computes it, SQLite (small
    installations) gets it from the per-viewer rows."""
    if not post_ids:
        return {}
    sub = per_viewer_reads(org_id=org_id, post_ids=post_ids, team=team)
    columns = [
        sub.c.key,
        func.sum(sub.c.views),
        func.count(),
        func.sum(case((sub.c.ms >= careful_ms, 1), else_=0)),
        func.sum(case((sub.c.ms >= deep_ms, 1), else_=0)),
        func.sum(sub.c.ms),
    ]
    postgres = is_postgres(session)
    if postgres:
        columns.append(func.percentile_cont(0.5).within_group(sub.c.ms))
    core = session.connection()  # plain rows: the ORM's row handling costs more than the SQL
    rows = list(core.execute(select(*columns).group_by(sub.c.key)))
    medians: dict[int, float | None] = {}
    if postgres:
        medians = {r[0]: _float(r[6]) for r in rows}
    else:
        reads: dict[int, list[int]] = {}
        for group, ms in core.execute(select(sub.c.key, sub.c.ms)):
            reads.setdefault(group, []).append(int(ms or 0))
        medians = {group: median(values) for group, values in reads.items()}
    return {
        r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5] or 0), medians.get(r[0]))
        for r in rows
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def rep_activity(
    session: Session, *, org_id: int, post_ids: Sequence[int]
) -> dict[int, tuple[int, int, int, int]]:
    """{rep id: (copies posted, views, distinct viewers, read ms)} over `post_ids`; a viewer
    who read two of the posts through the rep counts once."""
    if not post_ids:
        return {}
    ids = list(post_ids)
    posted = select(Copy.rep_id, func.count(Copy.posted_at)).where(
        Copy.org_id == org_id, Copy.post_id.in_(ids)
    )
    views = select(
        PostRep.rep_id, func.sum(PostRep.views), func.coalesce(func.sum(PostRep.read_ms), 0)
    ).where(PostRep.org_id == org_id, PostRep.post_id.in_(ids))
    readers = select(PostRead.rep_id, func.count(PostRead.viewer_id.distinct())).where(
        PostRead.org_id == org_id, PostRead.post_id.in_(ids)
    )
    core = session.connection()
    found: dict[int, list[int]] = {}
    for rep_id, count in core.execute(posted.group_by(Copy.rep_id)):
        found.setdefault(rep_id, [0, 0, 0, 0])[0] = int(count)
    for rep_id, count, ms in core.execute(views.group_by(PostRep.rep_id)):
        row = found.setdefault(rep_id, [0, 0, 0, 0])
        row[1], row[3] = int(count), int(ms)
    for rep_id, unique in core.execute(readers.group_by(PostRead.rep_id)):
        found.setdefault(rep_id, [0, 0, 0, 0])[2] = int(unique)
    return {rep_id: (a, b, c, d) for rep_id, (a, b, c, d) in found.items()}


def team_readers(session: Session, *, org_id: int, post_ids: Sequence[int]) -> dict[str, int]:
    """{team: distinct viewers reached through any of its reps' links to `post_ids`}."""
    if not post_ids:
        return {}
    query = (
        select(Rep.team, func.count(PostRead.viewer_id.distinct()))
        .join(Rep, Rep.id == PostRead.rep_id)
        .where(PostRead.org_id == org_id, PostRead.post_id.in_(list(post_ids)), Rep.active)
        .group_by(Rep.team)
    )
    return {team: int(count) for team, count in session.execute(query)}
