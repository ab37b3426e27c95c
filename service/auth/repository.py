"""SQL for staff sessions and the look-ups of logging in; every function is scoped to one
organisation except `find_staff_by_email` (login, before the organisation is known)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.models import Organisation, Staff, StaffSession


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


def get_staff(session: Session, *, org_id: int, staff_id: int) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.org_id == org_id, Staff.id == staff_id))


def find_staff_by_email(
    session: Session, email: str, *, org_slug: str | None = None
) -> list[Staff]:
    """Across organisations: only login needs this (one account per organisation at most)."""
    query = select(Staff).where(Staff.email == email).order_by(Staff.id)
    if org_slug:
        query = query.join(Organisation, Organisation.id == Staff.org_id).where(
            Organisation.slug == org_slug
        )
    return list(session.scalars(query))


def org_slug(session: Session, *, org_id: int) -> str:
    return session.scalar(select(Organisation.slug).where(Organisation.id == org_id)) or ""
