"""SQL for issued copies; every function is scoped to one organisation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Issued:
    """What new copies of a post must clear: issued texts and image parameters by position."""

    texts: list[str] = field(default_factory=list)
    images: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    bodies: list[str | None] = field(default_factory=list)  # None: issued before bodies
    last_id: int = 0  # the newest copy included
    count: int = 0

    def merged(self, newer: Issued) -> Issued:
        images = {
            p: [*self.images.get(p, []), *newer.images.get(p, [])]
            for p in {*self.images, *newer.images}
        }
        return Issued(
            texts=[*self.texts, *newer.texts],
            images=images,
            bodies=[*self.bodies, *newer.bodies],
            last_id=max(self.last_id, newer.last_id),
            count=self.count + newer.count,
        )


def issued(session: Session, *, org_id: int, post_id: int, after_id: int = 0) -> Issued:
    """Every copy issued for the post (with id > `after_id`), oldest first."""
    rows = session.execute(
        select(Copy.id, Copy.text, Copy.text_params)
        .where(Copy.org_id == org_id, Copy.post_id == post_id, Copy.id > after_id)
        .order_by(Copy.id)
    ).all()
    if not rows:
        return Issued(last_id=after_id)
    images: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    query = (
        select(ImageCopy.position, ImageCopy.params)
        .join(Copy)
        .where(Copy.org_id == org_id, Copy.post_id == post_id)
        .where(Copy.id > after_id, Copy.id <= rows[-1].id)
        .order_by(ImageCopy.id)
    )
    for position, params in session.execute(query):
        images[position].append(params)
    return Issued(
        texts=[row.text for row in rows],
        images=dict(images),
        bodies=[(row.text_params or {}).get("body") for row in rows],
        last_id=rows[-1].id,
        count=len(rows),
    )


def add_unless_exists(session: Session, copy: Copy) -> bool:
    """Insert `copy`; False (and nothing written) if the rep already has one for the post."""
    try:
        with session.begin_nested():
            session.add(copy)
            session.flush()
    except IntegrityError:
        return False
    return True


def reps_with_copy(session: Session, *, org_id: int, post_id: int) -> list[int]:
    return list(
        session.scalars(select(Copy.rep_id).where(Copy.org_id == org_id, Copy.post_id == post_id))
    )
