"""SQL for one post's dashboard, over its roll-up (models/rollup.py): a post with 100,000 page
views reads its viewers' narrow rows once and otherwise a few hundred rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.dashboard.stats import median
from service.db import is_postgres
from service.models.rollup import PostRep, PostSection, PostViewer
from service.models.tracking import Viewer

DEPTHS = range(0, 101, 10)  # scroll depths of the completion curve, percent


@dataclass(frozen=True)
class Summary:
    viewers: int
    views: int
    careful: int
    deep: int
    buckets: list[int]  # viewers per read-time bucket
    reached: list[int]  # viewers whose deepest scroll reached each of DEPTHS
    median_ms: float | None


def summary(
    session: Session,
    *,
    org_id: int,
    post_id: int,
    careful_ms: int,
    deep_ms: int,
    edges_ms: Sequence[tuple[int, int | None]],
) -> Summary:
    """The funnel's reader side, the read-time histogram and the completion curve, in one
    pass over the post's viewers."""
    v = PostViewer

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    buckets = [
        count_if(v.read_ms >= low if high is None else (v.read_ms >= low) & (v.read_ms < high))
        for low, high in edges_ms
    ]
    columns = [
        func.count(),
        func.coalesce(func.sum(v.views), 0),
        count_if(v.read_ms >= careful_ms),
        count_if(v.read_ms >= deep_ms),
        *buckets,
        *[count_if(v.deepest >= depth) for depth in DEPTHS],
    ]
    postgres = is_postgres(session)
    if postgres:
        columns.append(func.percentile_cont(0.5).within_group(v.read_ms))
    mine = (v.org_id == org_id, v.post_id == post_id)
    core = session.connection()  # plain rows: the ORM's row handling costs more than the SQL
    found = core.execute(select(*columns).where(*mine)).one()
    row = [int(value or 0) for value in found[: len(columns) - postgres]]
    cut = 4 + len(buckets)
    if postgres:
        middle = found[-1]
    else:
        middle = median([int(ms) for ms in core.execute(select(v.read_ms).where(*mine)).scalars()])
    return Summary(
        viewers=row[0],
        views=row[1],
        careful=row[2],
        deep=row[3],
        buckets=row[4:cut],
        reached=row[cut:],
        median_ms=None if middle is None else float(middle),
    )


@dataclass(frozen=True)
class RepReads:
    views: int
    viewers: int
    read_ms: int
    median_ms: float | None
    reach: int  # viewers whose first view came through the rep's links
    roots: int  # of them, straight from the rep's own link


def rep_reads(session: Session, *, org_id: int, post_id: int) -> dict[int, RepReads]:
    r = PostRep
    query = select(r.rep_id, r.views, r.viewers, r.read_ms, r.median_ms, r.reach, r.roots).where(
        r.org_id == org_id, r.post_id == post_id
    )
    return {row[0]: RepReads(*row[1:]) for row in session.connection().execute(query)}


def section_totals(session: Session, *, org_id: int, post_id: int) -> dict[str, int]:
    """Milliseconds per page section ("copy", "s1", ...) summed over the post's views."""
    query = select(PostSection.section, PostSection.ms).where(
        PostSection.org_id == org_id, PostSection.post_id == post_id
    )
    return {section: int(ms) for section, ms in session.connection().execute(query)}


@dataclass(frozen=True)
class Sharer:
    viewer_id: int
    rep_id: int
    parent_viewer_id: int | None
    label: str
    direct: int
    downstream: int


def sharers(session: Session, *, org_id: int, post_id: int, limit: int) -> list[Sharer]:
    """The viewers whose links brought most people. Ancestors come with them: a parent
    always has more people downstream than any of its children."""
    v = PostViewer
    query = (
        select(v.viewer_id, v.rep_id, v.parent_viewer_id, Viewer.label, v.direct, v.downstream)
        .join(Viewer, (Viewer.id == v.viewer_id) & (Viewer.org_id == org_id))
        .where(v.org_id == org_id, v.post_id == post_id, v.downstream > 0)
        .order_by(v.downstream.desc(), v.viewer_id)
        .limit(limit)
    )
    return [Sharer(*row) for row in session.connection().execute(query)]
