"""SQL for posts and their images; every function is scoped to one organisation."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from service.models import Plan, PlanItem, Post, PostTextVersion


def get(session: Session, *, org_id: int, post_id: int, for_update: bool = False) -> Post | None:
    query = (
        select(Post)
        .where(Post.org_id == org_id, Post.id == post_id)
        .options(selectinload(Post.images))
    )
    if for_update:
        query = query.with_for_update(of=Post)
    return session.scalar(query)


def planned_for(rep_id: int) -> ColumnElement[bool]:
    """The posts a rep's page lists: their plan includes the rep, or (published before plans
    existed) they have no plan at all (single posts: service.plans.service.targets)."""
    planned = select(PlanItem.id).where(PlanItem.post_id == Post.id, PlanItem.rep_id == rep_id)
    has_plan = select(Plan.id).where(Plan.post_id == Post.id)
    return planned.exists() | ~has_plan.exists()


def list_(
    session: Session,
    *,
    org_id: int,
    published_only: bool = False,
    for_rep: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Post]:
    """Newest first (publication time for published posts, creation time otherwise).
    `for_rep`: only posts whose plan includes that rep (a post published to other teams is
    not theirs to post)."""
    query = select(Post).where(Post.org_id == org_id).options(selectinload(Post.images))
    if for_rep is not None:
        query = query.where(planned_for(for_rep))
    if published_only:
        query = query.where(Post.published_at.is_not(None)).order_by(
            Post.published_at.desc(), Post.id.desc()
        )
    else:
        query = query.order_by(Post.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def add(session: Session, post: Post) -> Post:
    session.add(post)
    session.flush()
    return post


def version(session: Session, *, post_id: int, version: int) -> PostTextVersion | None:
    """A version of a post the caller already loaded within its organisation."""
    return session.scalar(
        select(PostTextVersion).where(
            PostTextVersion.post_id == post_id, PostTextVersion.version == version
        )
    )


def add_version(session: Session, row: PostTextVersion) -> PostTextVersion:
    session.add(row)
    session.flush()
    return row
