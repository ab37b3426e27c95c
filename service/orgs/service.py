"""Organisations and their staff: creation, deactivation, the brand voice (login: service.auth)."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from service.auth import service as auth_service
from service.auth.service import MIN_PASSWORD
from service.errors import Conflict, Unprocessable
from service.models import Organisation, Role, Staff
from service.orgs import repository
from service.orgs.schemas import OrgVoice, OrgVoiceUpdate
from service.orgs.voice import org_voice
from service.security import hash_password

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def ensure_org(session: Session, *, slug: str, name: str | None = None) -> Organisation:
    """The organisation `slug`, created if new."""
    if not _SLUG.match(slug):
        raise Unprocessable(f"organisation {slug!r}: use lowercase letters, digits and hyphens")
    org = repository.get_org_by_slug(session, slug)
    return org or repository.add_org(session, slug=slug, name=name or slug)


def get_org(session: Session, *, org_id: int) -> Organisation | None:
    return repository.get_org(session, org_id=org_id)


def get_staff(session: Session, *, org_id: int, staff_id: int) -> Staff | None:
    return auth_service.get_staff(session, org_id=org_id, staff_id=staff_id)


def list_staff(session: Session, *, org_id: int) -> list[Staff]:
    return repository.list_staff(session, org_id=org_id)


def create_staff(session: Session, *, org_id: int, email: str, password: str, role: Role) -> Staff:
    """A staff member of `org_id`. The e-mail must be new in this organisation only: an address
    with an account elsewhere gets its own account here, answered exactly like a new address,
    so `POST /api/staff` cannot be used to find out who works for another brand. Login tells
    the accounts apart by their passwords (and, if two match, by the organisation given)."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise Unprocessable(
            f"{email!r} is not an e-mail address",
            code="invalid_email",
            message="邮箱地址格式不正确。",
        )
    if len(password) < MIN_PASSWORD:
        raise Unprocessable(
            f"the password needs at least {MIN_PASSWORD} characters",
            code="weak_password",
            message=f"密码至少需要 {MIN_PASSWORD} 个字符。",
        )
    if repository.find_staff(session, org_id=org_id, email=email) is not None:
        raise Conflict(
            f"{email} already has an account", code="email_taken", message="该邮箱已有账号。"
        )
    return repository.add_staff(
        session, org_id=org_id, email=email, password_hash=hash_password(password), role=role.value
    )


def set_active(session: Session, staff: Staff, *, active: bool, by: Staff) -> None:
    if staff.id == by.id and not active:
        raise Conflict(
            "an admin cannot deactivate their own account",
            code="cannot_deactivate_self",
            message="不能停用自己的账号。",
        )
    staff.active = active
    session.flush()
    if not active:  # a deactivated colleague's logins end now, not at their expiry
        auth_service.end_all(session, staff)


def read_voice(org: Organisation) -> OrgVoice:
    voice = org_voice(org)
    return OrgVoice(frame_lines=voice.frame_lines, particles=voice.particles)


def update_voice(session: Session, org: Organisation, data: OrgVoiceUpdate) -> OrgVoice:
    if data.frame_lines is not None:
        org.voice_frame_lines = data.frame_lines
    if data.particles is not None:
        org.voice_particles = data.particles
    session.flush()
    return read_voice(org)
