"""SQL for organisations and their staff (login look-ups: service.auth.repository)."""

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


def find_staff(session: Session, *, org_id: int, email: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.org_id == org_id, Staff.email == email))


def list_staff(session: Session, *, org_id: int) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.org_id == org_id).order_by(Staff.id)))


def add_staff(session: Session, *, org_id: int, email: str, password_hash: str, role: str) -> Staff:
    staff = Staff(org_id=org_id, email=email, password_hash=password_hash, role=role)
    session.add(staff)
    session.flush()
    return staff
