"""Passwords (argon2), login throttling, staff bearer tokens and revocable rep-link tokens
(itsdangerous).

A staff token carries the staff id and expires. A rep token carries (org id, rep id, link
nonce); the nonce is stored on the rep, so rotating it revokes every earlier link.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class LoginThrottle:
    """Failed logins counted per e-mail and per client address over a sliding window; past
    either limit, further attempts wait until the oldest failure leaves the window.

    Per e-mail stops password guessing against one account from many addresses; per address
    stops one client spraying many accounts. In-process (one per app): with several API
    processes the effective limit is multiplied by their number."""

    def __init__(
        self,
        *,
        per_email: int = 10,
        per_address: int = 100,
        window_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"email": per_email, "address": per_address}
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def retry_after(self, *, email: str, address: str) -> int:
        """Seconds to wait before this attempt may be checked; 0 when it may go ahead."""
        now = self._clock()
        waits = [0.0]
        for kind, key in (("email", email.strip().lower()), ("address", address)):
            failures = self._recent((kind, key), now)
            if len(failures) >= self._limits[kind]:
                waits.append(failures[0] + self._window - now)
        return int(max(waits) + 0.999)

    def failed(self, *, email: str, address: str) -> None:
        now = self._clock()
        for key in (("email", email.strip().lower()), ("address", address)):
            self._recent(key, now).append(now)

    def succeeded(self, *, email: str) -> None:
        self._failures.pop(("email", email.strip().lower()), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class RepLink:
    org_id: int
    rep_id: int
    nonce: str


class TokenError(ValueError):
    """A token that is malformed, forged or expired."""


class Signer:
    """Issues and checks every signed value, from one secret key."""

    def __init__(self, secret_key: str, *, staff_ttl_seconds: int) -> None:
        self._secret = secret_key.encode()
        self._staff = URLSafeTimedSerializer(secret_key, salt="momentcast.staff")
        self._rep = URLSafeSerializer(secret_key, salt="momentcast.rep-link")
        self._ttl = staff_ttl_seconds

    def staff_token(self, *, org_id: int, staff_id: int) -> str:
        return self._staff.dumps({"oid": org_id, "sid": staff_id})

    def read_staff_token(self, token: str) -> tuple[int, int]:
        """(org id, staff id) of a valid, unexpired token."""
        try:
            payload = self._staff.loads(token, max_age=self._ttl)
        except SignatureExpired:
            raise TokenError("the login has expired; log in again") from None
        except BadSignature:
            raise TokenError("the token is not valid") from None
        try:
            return int(payload["oid"]), int(payload["sid"])
        except (KeyError, TypeError, ValueError):
            raise TokenError("the token is not valid") from None

    def rep_token(self, link: RepLink) -> str:
        return self._rep.dumps([link.org_id, link.rep_id, link.nonce])

    def read_rep_token(self, token: str) -> RepLink:
        try:
            org_id, rep_id, nonce = self._rep.loads(token)
            return RepLink(int(org_id), int(rep_id), str(nonce))
        except (BadSignature, ValueError, TypeError):
            raise TokenError("this personal link is not valid") from None

    def csrf_token(self, session_token: str) -> str:
        """Bound to the login session, so a form token from another session is refused."""
        return hmac.new(self._secret, session_token.encode(), sha256).hexdigest()[:32]

    def check_csrf(self, session_token: str, presented: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session_token), presented)
