"""SQL for staff sessions; every function is scoped to one organisation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.models import StaffSession


def add(session: Session, login: StaffSession) -> StaffSession:
    session.add(login)
    session.flush()
    return login


def get(session: Session, *, org_id: int, session_id: str) -> StaffSession | None:
    return session.scalar(
        select(StaffSession).where(StaffSession.org_id == org_id, StaffSession.id == session_id)
    )


def delete_older(session: Session, *, org_id: int, staff_id: int, before: datetime) -> None:
    session.execute(
        delete(StaffSession).where(
            StaffSession.org_id == org_id,
            StaffSession.staff_id == staff_id,
            StaffSession.created_at < before,
        )
    )


def revoke_all(
    session: Session, *, org_id: int, staff_id: int, now: datetime, keep: str | None = None
) -> int:
    """Revoke every live session of the staff member (but `keep`); returns how many."""
    query = update(StaffSession).where(
        StaffSession.org_id == org_id,
        StaffSession.staff_id == staff_id,
        StaffSession.revoked_at.is_(None),
    )
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    result = session.execute(
        query.values(revoked_at=now).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
