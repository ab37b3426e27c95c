"""Organisations and their staff: creation, login."""

from __future__ import annotations

import re
import secrets
from functools import cache

from sqlalchemy.orm import Session

from service.errors import Conflict, Unauthorized, Unprocessable
from service.models import Organisation, Role, Staff
from service.orgs import repository
from service.orgs.schemas import OrgVoice, OrgVoiceUpdate
from service.posts.voice import org_voice
from service.security import hash_password, verify_password

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12  # a passphrase of a few words; argon2 makes each guess slow


def ensure_org(session: Session, *, slug: str, name: str | None = None) -> Organisation:
    """The organisation `slug`, created if new."""
    if not _SLUG.match(slug):
        raise Unprocessable(f"organisation {slug!r}: use lowercase letters, digits and hyphens")
    org = repository.get_org_by_slug(session, slug)
    return org or repository.add_org(session, slug=slug, name=name or slug)


def create_staff(session: Session, *, org_id: int, email: str, password: str, role: Role) -> Staff:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise Unprocessable(f"{email!r} is not an e-mail address", code="invalid_email")
    if len(password) < MIN_PASSWORD:
        raise Unprocessable(
            f"the password needs at least {MIN_PASSWORD} characters", code="weak_password"
        )
    if repository.find_staff_by_email(session, email) is not None:
        raise Conflict(f"{email} already has an account", code="email_taken")
    return repository.add_staff(
        session, org_id=org_id, email=email, password_hash=hash_password(password), role=role.value
    )


def authenticate(session: Session, *, email: str, password: str) -> Staff:
    """The staff member with these credentials; one message for every failure."""
    staff = repository.find_staff_by_email(session, email.strip().lower())
    # An unknown e-mail costs one hash check too, so the time taken does not tell who exists.
    stored = staff.password_hash if staff is not None else _unknown_staff_hash()
    if not verify_password(stored, password) or staff is None:
        raise Unauthorized("wrong e-mail or password", code="bad_credentials")
    return staff


@cache
def _unknown_staff_hash() -> str:
    return hash_password(secrets.token_hex(16))


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
