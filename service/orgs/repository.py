"""SQL for organisations and staff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Organisation, Staff


def get_org_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def get_org(session: Session, *, org_id: int) -> Organisation | None:
    return session.get(Organisation, org_id)


def add_org(session: Session, *, slug: str, name: str) -> Organisation:
    org = Organisation(slug=slug, name=name)
    session.add(org)
    session.flush()
    return org


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


def find_staff(session: Session, *, org_id: int, email: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.org_id == org_id, Staff.email == email))


def list_staff(session: Session, *, org_id: int) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.org_id == org_id).order_by(Staff.id)))


def add_staff(session: Session, *, org_id: int, email: str, password_hash: str, role: str) -> Staff:
    staff = Staff(org_id=org_id, email=email, password_hash=password_hash, role=role)
    session.add(staff)
    session.flush()
    return staff
