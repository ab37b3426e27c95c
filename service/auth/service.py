"""Staff sessions: a row per login, named inside the signed token, so that logging out, "log
out everywhere", a password change and a deactivation end the tokens already handed out."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from service.auth import repository
from service.errors import Unauthorized
from service.models import Staff, StaffSession, utcnow
from service.orgs import repository as orgs_repository
from service.security import Signer, TokenError
from service.settings import Settings

TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is kept this fresh, not written per request


def lifetime(settings: Settings) -> timedelta:
    """How long a session lasts from its login (the signed token says the same)."""
    return timedelta(seconds=settings.staff_token_ttl_seconds)


def start(session: Session, signer: Signer, staff: Staff, *, ttl: timedelta | None = None) -> str:
    """A new session for `staff` and the token that names it; the staff member's sessions
    older than `ttl` (dead whatever their state) are deleted, so the table stays small."""
    now = utcnow()
    if ttl is not None:
        repository.delete_older(session, org_id=staff.org_id, staff_id=staff.id, before=now - ttl)
    login = repository.add(
        session,
        StaffSession(
            id=secrets.token_urlsafe(32),
            org_id=staff.org_id,
            staff_id=staff.id,
            created_at=now,
            last_seen_at=now,
        ),
    )
    return signer.staff_token(org_id=staff.org_id, staff_id=staff.id, session_id=login.id)


def resolve(
    session: Session, signer: Signer, token: str, *, ttl: timedelta
) -> tuple[Staff, StaffSession]:
    """The staff member and live session behind `token`, or Unauthorized."""
    try:
        claim = signer.read_staff_token(token)
    except TokenError as exc:
        raise Unauthorized(str(exc), message="登录已失效，请重新登录。") from None
    login = repository.get(session, org_id=claim.org_id, session_id=claim.session_id)
    now = utcnow()
    if login is None or login.staff_id != claim.staff_id or login.revoked_at is not None:
        raise Unauthorized("this login has ended; log in again", message="已退出登录，请重新登录。")
    if login.created_at + ttl < now:
        raise Unauthorized(
            "the login has expired; log in again", message="登录已过期，请重新登录。"
        )
    staff = orgs_repository.get_staff(session, org_id=claim.org_id, staff_id=claim.staff_id)
    if staff is None or not staff.active:
        raise Unauthorized("this account is no longer active", message="此账号已停用。")
    if now - login.last_seen_at > TOUCH_EVERY:
        login.last_seen_at = now
    return staff, login


def end(login: StaffSession) -> None:
    login.revoked_at = login.revoked_at or utcnow()


def end_all(session: Session, staff: Staff, *, keep: StaffSession | None = None) -> int:
    """Revoke every session of `staff` (but `keep`); the number revoked."""
    return repository.revoke_all(
        session,
        org_id=staff.org_id,
        staff_id=staff.id,
        now=utcnow(),
        keep=keep.id if keep is not None else None,
    )
