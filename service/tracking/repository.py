"""SQL for viewers, page views and tags; every function is scoped to one organisation, except
the consumer's, which address page views by the ids their signed tokens carried."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import is_postgres
from service.models import Post, Rep
from service.models.tracking import PageView, TagRules, Viewer, ViewerTag


def viewer_by_cookie(session: Session, *, org_id: int, cookie_id: str) -> Viewer | None:
    query = select(Viewer).where(Viewer.org_id == org_id, Viewer.cookie_id == cookie_id)
    return session.scalar(query)


def viewer_by_openid(session: Session, *, org_id: int, openid: str) -> Viewer | None:
    query = select(Viewer).where(Viewer.org_id == org_id, Viewer.openid == openid)
    return session.scalar(query.order_by(Viewer.id).limit(1))


def get_viewer(session: Session, *, org_id: int, viewer_id: int) -> Viewer | None:
    return session.scalar(select(Viewer).where(Viewer.org_id == org_id, Viewer.id == viewer_id))


def add_viewer(session: Session, viewer: Viewer) -> Viewer | None:
    """Insert `viewer`; None if its cookie id is already taken (a concurrent first open)."""
    try:
        with session.begin_nested():
            session.add(viewer)
            session.flush()
    except IntegrityError:
        return None
    return viewer


def add_view(session: Session, view: PageView) -> PageView:
    session.add(view)
    session.flush()
    return view


def first_parent(session: Session, *, org_id: int, post_id: int, viewer_id: int) -> int | None:
    """Who led the viewer to this post the first time (None: the rep did)."""
    query = (
        select(PageView.parent_viewer_id)
        .where(
            PageView.org_id == org_id, PageView.post_id == post_id, PageView.viewer_id == viewer_id
        )
        .order_by(PageView.id)
        .limit(1)
    )
    return session.scalar(query)


def views_for_update(session: Session, ids: Sequence[int]) -> list[PageView]:
    """The consumer's rows, locked in id order on PostgreSQL so concurrent folds neither lose
    a maximum nor deadlock."""
    query = select(PageView).where(PageView.id.in_(sorted(ids))).order_by(PageView.id)
    if is_postgres(session):
        query = query.with_for_update()
    else:
        # SQLite has no row locks, and its driver runs a bare SELECT outside the transaction:
        # a no-op write first takes the database's write lock, so the rows read are current
        # and no other writer can fold in between (it waits for our commit).
        session.execute(
            update(PageView).where(PageView.id.in_(list(ids))).values(beacons=PageView.beacons)
        )
    return list(session.scalars(query.execution_options(populate_existing=True)))


def refresh_viewers(session: Session, viewer_ids: Sequence[int]) -> None:
    """Recompute each viewer's roll-up from their page views (so replays cannot inflate it)."""
    rows = session.execute(
        select(
            PageView.viewer_id,
            func.count(PageView.id),
            func.coalesce(func.sum(PageView.engaged_ms), 0),
            func.max(func.coalesce(PageView.last_event_at, PageView.opened_at)),
        )
        .where(PageView.viewer_id.in_(sorted(set(viewer_ids))))
        .group_by(PageView.viewer_id)
    )
    for viewer_id, views, engaged_ms, last_seen in rows:
        viewer = session.get(Viewer, viewer_id)
        if viewer is not None:
            viewer.views, viewer.engaged_ms = int(views), int(engaged_ms or 0)
            viewer.last_seen_at = last_seen
    session.flush()


def views_of_post(
    session: Session, *, org_id: int, post_id: int, rep_id: int | None = None
) -> list[PageView]:
    query = select(PageView).where(PageView.org_id == org_id, PageView.post_id == post_id)
    if rep_id is not None:
        query = query.where(PageView.rep_id == rep_id)
    return list(session.scalars(query.order_by(PageView.id)))


class Reading(NamedTuple):
    """What the tag rules read of one page view (a row, not an ORM object: the tag job reads
    every view of an organisation, and a loaded PageView costs kilobytes)."""

    id: int
    viewer_id: int
    post_id: int
    parent_viewer_id: int | None
    visible_ms: int
    engaged_ms: int | None
    max_scroll: int


_STREAM_ROWS = 2000


def readings_of_org(session: Session, *, org_id: int) -> Iterator[Reading]:
    """The organisation's page views by viewer, then opening order, streamed a batch of rows
    at a time (a server-side cursor on PostgreSQL), so memory does not grow with the views."""
    query = (
        select(*(getattr(PageView, name) for name in Reading._fields))
        .where(PageView.org_id == org_id)
        .order_by(PageView.viewer_id, PageView.id)
        .execution_options(yield_per=_STREAM_ROWS)
    )
    for row in session.execute(query):
        yield Reading(*row)


def posts_with_views(session: Session, *, org_id: int) -> set[int]:
    query = select(PageView.post_id).where(PageView.org_id == org_id).distinct()
    return set(session.scalars(query))


def search_viewers(
    session: Session,
    *,
    org_id: int,
    q: str = "",
    tags: Sequence[str] = (),
    rep_id: int | None = None,
    seen_since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Viewer], int]:
    """A page of viewers, most recently seen first, and how many match in all.

    `q` matches the label a rep gave, or the viewer's number; every tag in `tags` must be
    present; `rep_id`: only those who opened one of that rep's links."""
    query = select(Viewer).where(Viewer.org_id == org_id)
    text = q.strip()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        number = _viewer_number(text.lstrip("#"))
        query = query.where(or_(Viewer.label.ilike(like), Viewer.id == number))
    for tag in tags:
        query = query.where(Viewer.id.in_(_tagged(org_id=org_id, tag=tag)))
    if rep_id is not None:
        query = query.where(Viewer.id.in_(_readers_of(org_id=org_id, rep_id=rep_id)))
    if seen_since is not None:
        query = query.where(Viewer.last_seen_at >= seen_since)
    order = (Viewer.last_seen_at.desc().nulls_last(), Viewer.id.desc())
    # The count rides along as a window over the same pass: a tag filter's joins run once.
    rows = session.execute(
        query.add_columns(func.count().over()).order_by(*order).limit(limit).offset(offset)
    ).all()
    if rows:
        return [row[0] for row in rows], int(rows[0][1])
    total = session.scalar(select(func.count()).select_from(query.subquery())) if offset else 0
    return [], int(total or 0)


def _tagged(*, org_id: int, tag: str) -> Select[Any]:
    return select(ViewerTag.viewer_id).where(ViewerTag.org_id == org_id, ViewerTag.tag == tag)


def _readers_of(*, org_id: int, rep_id: int) -> Select[Any]:
    return select(PageView.viewer_id).where(PageView.org_id == org_id, PageView.rep_id == rep_id)


def _viewer_number(text: str) -> int:
    """`text` as a viewer id when it is one (ASCII digits within 64 bits), else -1. Not
    `str.isdigit()` alone: "²" and "①" pass it and then fail `int()`."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else -1


def is_reader(session: Session, *, org_id: int, rep_id: int, viewer_id: int) -> bool:
    """Whether the viewer opened one of the rep's links."""
    query = _readers_of(org_id=org_id, rep_id=rep_id).where(PageView.viewer_id == viewer_id)
    return session.scalar(query.limit(1)) is not None


def viewer_labels(session: Session, *, org_id: int, viewer_ids: Sequence[int]) -> dict[int, str]:
    query = select(Viewer.id, Viewer.label).where(
        Viewer.org_id == org_id, Viewer.id.in_(list(viewer_ids))
    )
    return {viewer_id: label for viewer_id, label in session.execute(query)}


def rep_names(session: Session, *, org_id: int, rep_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({rep_id for rep_id in rep_ids if rep_id is not None})
    query = select(Rep.id, Rep.name).where(Rep.org_id == org_id, Rep.id.in_(ids))
    return {rep_id: name for rep_id, name in session.execute(query)} if ids else {}


def tags_of(session: Session, *, org_id: int, viewer_ids: Sequence[int]) -> list[ViewerTag]:
    if not viewer_ids:
        return []
    query = select(ViewerTag).where(
        ViewerTag.org_id == org_id, ViewerTag.viewer_id.in_(list(viewer_ids))
    )
    return list(session.scalars(query.order_by(ViewerTag.viewer_id, ViewerTag.kind, ViewerTag.tag)))


def tag_names(session: Session, *, org_id: int) -> list[str]:
    query = select(ViewerTag.tag).where(ViewerTag.org_id == org_id).distinct()
    return sorted(session.scalars(query))


class Visit(NamedTuple):
    """A page view of one viewer with the post's title and the rep's name."""

    id: int
    post_id: int
    title: str
    rep_id: int
    rep_name: str
    parent_viewer_id: int | None
    channel: str
    opened_at: datetime
    last_event_at: datetime | None
    read_ms: int
    visible_ms: int
    max_scroll: int
    sections: dict[str, Any] | None


def visits(session: Session, *, org_id: int, viewer_id: int) -> list[Visit]:
    """Every page view of the viewer, newest first. Read time is `COALESCE(engaged_ms,
    visible_ms)`, the measure the tag job and the dashboard's roll-up use."""
    query = (
        select(
            PageView.id,
            PageView.post_id,
            func.coalesce(Post.title, ""),
            PageView.rep_id,
            func.coalesce(Rep.name, ""),
            PageView.parent_viewer_id,
            PageView.channel,
            PageView.opened_at,
            PageView.last_event_at,
            func.coalesce(PageView.engaged_ms, PageView.visible_ms),
            PageView.visible_ms,
            PageView.max_scroll,
            PageView.sections,
        )
        # Outer joins: a viewer's export lists every view they left, whatever became of it.
        .outerjoin(Post, and_(Post.id == PageView.post_id, Post.org_id == org_id))
        .outerjoin(Rep, and_(Rep.id == PageView.rep_id, Rep.org_id == org_id))
        .where(PageView.org_id == org_id, PageView.viewer_id == viewer_id)
        .order_by(PageView.opened_at.desc(), PageView.id.desc())
    )
    return [Visit._make(row) for row in session.execute(query)]


def replace_tags(session: Session, *, org_id: int, tags: Iterable[dict[str, Any]]) -> None:
    """The organisation's tags become `tags` (ViewerTag column values), written as plain rows
    a chunk at a time: an organisation has a tag or two per viewer, and an ORM object each
    would hold them all in the session until commit."""
    session.execute(delete(ViewerTag).where(ViewerTag.org_id == org_id))
    rows = iter(tags)
    while chunk := list(islice(rows, _STREAM_ROWS)):
        session.execute(insert(ViewerTag), chunk)


def rules(session: Session, *, org_id: int) -> TagRules | None:
    return session.get(TagRules, org_id)


def put_rules(session: Session, *, org_id: int, rules: dict[str, object], now: datetime) -> None:
    row = session.get(TagRules, org_id)
    if row is None:
        session.add(TagRules(org_id=org_id, rules=rules, updated_at=now))
    else:
        row.rules, row.updated_at = rules, now
    session.flush()


def org_ids_with_views(session: Session) -> list[int]:
    return list(session.scalars(select(PageView.org_id).distinct()))


def erase_viewer(session: Session, viewer: Viewer) -> None:
    """Delete the viewer, their page views and tags; viewers they brought stay, unlinked."""
    org_id = viewer.org_id
    session.execute(
        update(PageView)
        .where(PageView.org_id == org_id, PageView.parent_viewer_id == viewer.id)
        .values(parent_viewer_id=None)
    )
    session.execute(delete(ViewerTag).where(ViewerTag.viewer_id == viewer.id))
    session.execute(
        delete(PageView).where(PageView.org_id == org_id, PageView.viewer_id == viewer.id)
    )
    session.delete(viewer)
    session.flush()
