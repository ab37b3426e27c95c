"""Passwords (argon2), login throttling, staff bearer tokens and revocable rep-link tokens
(itsdangerous).

A staff token carries the staff id and expires. A rep token carries (org id, rep id, link
nonce); the nonce is stored on the rep, so rotating it revokes every earlier link.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from redis.backoff import NoBackoff
from redis.retry import Retry

_hasher = PasswordHasher()
log = logging.getLogger(__name__)


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
    stops one client spraying many accounts. This one counts in the process; with several API
    processes use `SharedLoginThrottle`, or the limits multiply by their number."""

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
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, *, email: str, address: str) -> int:
        """Seconds to wait before this attempt may be checked; 0 when it may go ahead."""
        now = self._clock()
        waits = [0.0]
        for kind, key in self._keys(email, address):
            failures = self._recent(key, now)
            if len(failures) >= self._limits[kind]:
                waits.append(failures[0] + self._window - now)
        return int(max(waits) + 0.999)

    def failed(self, *, email: str, address: str) -> None:
        now = self._clock()
        for _kind, key in self._keys(email, address):
            self._add(key, now)

    def succeeded(self, *, email: str) -> None:
        self._clear(f"email:{email.strip().lower()}")

    @staticmethod
    def _keys(email: str, address: str) -> list[tuple[str, str]]:
        return [("email", f"email:{email.strip().lower()}"), ("address", f"address:{address}")]

    # Storage: the three methods a shared store overrides.
    def _recent(self, key: str, now: float) -> list[float]:
        """The failures inside the window, oldest first."""
        failures = self._failures[key]
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return list(failures)

    def _add(self, key: str, now: float) -> None:
        self._failures[key].append(now)

    def _clear(self, key: str) -> None:
        self._failures.pop(key, None)


class SharedLoginThrottle(LoginThrottle):
    """The same limits counted in Redis (a sorted set of failure times per key), so every API
    process sees every failure. If Redis is unreachable it falls back to counting in the
    process: logins keep working and stay throttled, only per process."""

    def __init__(self, client: redis.Redis, *, prefix: str = "momentcast:logins:", **limits: Any):
        super().__init__(clock=time.time, **limits)  # wall clock: shared between processes
        self._redis = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str, **limits: Any) -> SharedLoginThrottle:
        """Short timeouts and no retries: a login must not hang while Redis is away."""
        client = redis.Redis.from_url(
            url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
        )
        return cls(client, prefix=prefix, **limits)

    def _recent(self, key: str, now: float) -> list[float]:
        try:
            pipe = self._redis.pipeline()
            pipe.zremrangebyscore(self._prefix + key, "-inf", now - self._window)
            pipe.zrange(self._prefix + key, 0, -1, withscores=True)
            _, members = pipe.execute()
        except redis.RedisError:
            log.warning("login throttle: Redis unreachable, counting in this process")
            return super()._recent(key, now)
        return [score for _member, score in members]

    def _add(self, key: str, now: float) -> None:
        try:
            pipe = self._redis.pipeline()
            pipe.zadd(self._prefix + key, {secrets.token_hex(8): now})
            pipe.expire(self._prefix + key, int(self._window) + 1)
            pipe.execute()
        except redis.RedisError:
            super()._add(key, now)

    def _clear(self, key: str) -> None:
        super()._clear(key)
        with contextlib.suppress(redis.RedisError):  # then nothing could be written there either
            self._redis.delete(self._prefix + key)


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
    """Issues and checks every signed value. Keys are oldest first: the last one signs, every
    one verifies, so a key can be rotated without breaking the links reps already shared."""

    def __init__(self, secret_keys: str | Sequence[str], *, staff_ttl_seconds: int) -> None:
        keys = [secret_keys] if isinstance(secret_keys, str) else list(secret_keys)
        self._secrets = [key.encode() for key in keys]
        self._staff = URLSafeTimedSerializer(keys, salt="momentcast.staff")
        self._rep = URLSafeSerializer(keys, salt="momentcast.rep-link")
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
        return self._csrf(self._secrets[-1], session_token)

    def check_csrf(self, session_token: str, presented: str) -> bool:
        return any(
            hmac.compare_digest(self._csrf(key, session_token), presented) for key in self._secrets
        )

    @staticmethod
    def _csrf(key: bytes, session_token: str) -> str:
        return hmac.new(key, session_token.encode(), sha256).hexdigest()[:32]
