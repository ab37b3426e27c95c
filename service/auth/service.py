"""Staff accounts' credentials and sessions: a row per login, named inside the signed
token, so that logging out, "log out everywhere", a password change and a deactivation end the
tokens already handed out."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy.orm import Session

from service.auth import repository
from service.errors import Forbidden, Unauthorized, Unprocessable
from service.models import Staff, StaffSession, utcnow
from service.security import Signer, TokenError, hash_password, verify_password
from service.settings import Settings

TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is kept this fresh, not written per request
MIN_PASSWORD = 12  # a passphrase of a few words; argon2 makes each guess slow


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
    staff = repository.get_staff(session, org_id=claim.org_id, staff_id=claim.staff_id)
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


def get_staff(session: Session, *, org_id: int, staff_id: int) -> Staff | None:
    return repository.get_staff(session, org_id=org_id, staff_id=staff_id)


def org_slug(session: Session, staff: Staff) -> str:
    return repository.org_slug(session, org_id=staff.org_id)


def authenticate(session: Session, *, email: str, password: str, org: str | None = None) -> Staff:
    """The active staff member with these credentials; one message for every failure.

    Every account with the e-mail (one per organisation at most) is checked, or one unknown
    hash when there is none, so the time taken does not tell who exists. Two organisations'
    accounts with the same password need `org` (the organisation's slug) to choose."""
    candidates = repository.find_staff_by_email(session, email.strip().lower(), org_slug=org)
    matched = [staff for staff in candidates if verify_password(staff.password_hash, password)]
    if not candidates:
        verify_password(_unknown_staff_hash(), password)
    matched = [staff for staff in matched if staff.active]
    if not matched:
        raise Unauthorized(
            "wrong e-mail or password", code="bad_credentials", message="邮箱或密码不正确。"
        )
    if len(matched) > 1:
        raise Unauthorized(
            "this e-mail and password open accounts in several organisations; send 'org'",
            code="org_required",
            message="该邮箱在多个机构有账号，请填写机构代码。",
        )
    return matched[0]


def change_password(session: Session, staff: Staff, *, current: str, new: str) -> None:
    if not verify_password(staff.password_hash, current):
        # 403, not 401: the session is fine, and a client must not take this as "logged out".
        raise Forbidden(
            "the current password is wrong", code="wrong_password", message="当前密码不正确。"
        )
    if len(new) < MIN_PASSWORD:
        raise Unprocessable(
            f"the password needs at least {MIN_PASSWORD} characters",
            code="weak_password",
            message=f"密码至少需要 {MIN_PASSWORD} 个字符。",
        )
    staff.password_hash = hash_password(new)


@cache
def _unknown_staff_hash() -> str:
    return hash_password(secrets.token_hex(16))
