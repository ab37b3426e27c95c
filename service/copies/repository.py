"""SQL for issued copies; every function is scoped to one organisation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from service.models import Copy, ImageCopy


def get(session: Session, *, org_id: int, post_id: int, rep_id: int) -> Copy | None:
    query = (
        select(Copy)
        .where(Copy.org_id == org_id, Copy.post_id == post_id, Copy.rep_id == rep_id)
        .options(selectinload(Copy.images))
    )
    return session.scalar(query)


def for_rep(
    session: Session, *, org_id: int, rep_id: int, post_ids: Sequence[int]
) -> dict[int, Copy]:
    query = (
        select(Copy)
        .where(Copy.org_id == org_id, Copy.rep_id == rep_id, Copy.post_id.in_(post_ids))
        .options(selectinload(Copy.images))
    )
    return {copy.post_id: copy for copy in session.scalars(query)}


def issued_texts(session: Session, *, org_id: int, post_id: int) -> list[str]:
    query = select(Copy.text).where(Copy.org_id == org_id, Copy.post_id == post_id)
    return list(session.scalars(query.order_by(Copy.id)))


def issued_images(
    session: Session, *, org_id: int, post_id: int
) -> dict[int, list[dict[str, Any]]]:
    """Stored engine parameters of every issued image copy, by image position."""
    query = (
        select(ImageCopy.position, ImageCopy.params)
        .join(Copy)
        .where(Copy.org_id == org_id, Copy.post_id == post_id)
        .order_by(ImageCopy.id)
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for position, params in session.execute(query):
        found[position].append(params)
    return found


def add_unless_exists(session: Session, copy: Copy) -> bool:
    """Insert `copy`; False (and nothing written) if the rep already has one for the post."""
    try:
        with session.begin_nested():
            session.add(copy)
            session.flush()
    except IntegrityError:
        return False
    return True
