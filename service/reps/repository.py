"""SQL for reps; every function is scoped to one organisation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Rep


def get(session: Session, *, org_id: int, rep_id: int) -> Rep | None:
    return session.scalar(select(Rep).where(Rep.org_id == org_id, Rep.id == rep_id))


def list_(
    session: Session, *, org_id: int, active_only: bool = False, limit: int | None = None
) -> list[Rep]:
    query = select(Rep).where(Rep.org_id == org_id).order_by(Rep.id)
    if active_only:
        query = query.where(Rep.active.is_(True))
    return list(session.scalars(query.limit(limit)))


def by_external_ids(
    session: Session,
    *,
    org_id: int,
    external_ids: Sequence[str],
) -> dict[str, Rep]:
    if not external_ids:
        return {}
    query = select(Rep).where(Rep.org_id == org_id, Rep.external_id.in_(external_ids))
    return {rep.external_id: rep for rep in session.scalars(query) if rep.external_id}


def add(session: Session, rep: Rep) -> Rep:
    session.add(rep)
    session.flush()
    return rep
