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
    """Failed logins, counted so that guessing is slow and a lockout cannot be aimed at the
    account's owner. Over a sliding window (15 minutes):

    - per (address, account) pair: the first `free_failures` cost nothing; after that each
      failure doubles the wait, from `first_delay` up to `max_delay`. One client guessing one
      account gets about fifteen tries a window; the owner, elsewhere, is not affected.
    - per address, over every account: past `per_address` failures the address waits (one
      client spraying many accounts).
    - per account, from every address: past `per_account` failures, addresses the account has
      not logged in from (in `trust_days`) wait; the owner's usual addresses do not, so guesses
      spread over many addresses slow the guessers, not the owner.

    Accounts are the normalised e-mail the login checks, never stored as written. This class
    counts in the process; with several API processes use `SharedLoginThrottle`."""

    def __init__(
        self,
        *,
        free_failures: int = 10,
        first_delay: float = 30.0,
        max_delay: float = 900.0,
        per_address: int = 100,
        per_account: int = 50,
        window_seconds: float = 900.0,
        trust_days: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free, self._first, self._max = free_failures, first_delay, max_delay
        self._per_address, self._per_account = per_address, per_account
        self._window = window_seconds
        self._trust_seconds = trust_days * 86400
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._trust: dict[str, dict[str, float]] = defaultdict(dict)

    def retry_after(self, *, email: str, address: str) -> int:
        """Seconds to wait before this attempt may be checked; 0 when it may go ahead."""
        now = self._clock()
        pair, by_address, by_account = self._keys(email, address)
        waits = [self._backoff(self._recent(pair, now), now)]
        failures = self._recent(by_address, now)
        if len(failures) >= self._per_address:
            waits.append(failures[0] + self._window - now)
        failures = self._recent(by_account, now)
        if len(failures) >= self._per_account and not self._trusted(
            _trust_key(email), address, now - self._trust_seconds
        ):
            waits.append(failures[0] + self._window - now)
        return int(max(waits) + 0.999)

    def failed(self, *, email: str, address: str) -> None:
        now = self._clock()
        for key in self._keys(email, address):
            self._add(key, now)

    def succeeded(self, *, email: str, address: str) -> None:
        """The pair starts afresh, and the address is one the owner uses."""
        pair, _address, _account = self._keys(email, address)
        self._clear(pair)
        self._remember(_trust_key(email), address, self._clock())

    def _backoff(self, failures: list[float], now: float) -> float:
        extra = len(failures) - self._free
        if extra < 0:
            return 0.0
        delay = min(self._max, self._first * 2.0**extra)
        return failures[-1] + delay - now

    @staticmethod
    def _keys(email: str, address: str) -> tuple[str, str, str]:
        account = _account(email)
        return f"pair:{account}:{address}", f"address:{address}", f"account:{account}"

    # Storage: what a shared store overrides.
    def _recent(self, key: str, now: float) -> list[float]:
        """The failures inside the window, oldest first."""
        failures = self._failures[key]
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if not failures:
            del self._failures[key]  # sprayed keys do not pile up
            return []
        return list(failures)

    def _add(self, key: str, now: float) -> None:
        self._failures[key].append(now)

    def _clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def _remember(self, key: str, address: str, now: float) -> None:
        self._trust[key][address] = now

    def _trusted(self, key: str, address: str, since: float) -> bool:
        seen = self._trust.get(key, {}).get(address)
        return seen is not None and seen >= since


def _account(email: str) -> str:
    """A fixed-length key for the e-mail exactly as login normalises it."""
    return sha256(email.strip().lower().encode("utf-8", "backslashreplace")).hexdigest()[:32]


def _trust_key(email: str) -> str:
    return f"trusted:{_account(email)}"


class SharedLoginThrottle(LoginThrottle):
    """The same limits counted in Redis (a sorted set of failure times per key, and one of
    trusted addresses per account), so every API process sees every failure. If Redis is
    unreachable it falls back to counting in the process: logins keep working and stay
    throttled, only per process."""

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

    def _remember(self, key: str, address: str, now: float) -> None:
        try:
            pipe = self._redis.pipeline()
            pipe.zadd(self._prefix + key, {address: now})
            pipe.zremrangebyscore(self._prefix + key, "-inf", now - self._trust_seconds)
            pipe.expire(self._prefix + key, int(self._trust_seconds))
            pipe.execute()
        except redis.RedisError:
            super()._remember(key, address, now)

    def _trusted(self, key: str, address: str, since: float) -> bool:
        try:
            seen = self._redis.zscore(self._prefix + key, address)
        except redis.RedisError:
            return super()._trusted(key, address, since)
        return seen is not None and float(seen) >= since


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class RepLink:
    org_id: int
    rep_id: int
    nonce: str


@dataclass(frozen=True)
class StaffClaim:
    org_id: int
    staff_id: int
    session_id: str


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

    def staff_token(self, *, org_id: int, staff_id: int, session_id: str) -> str:
        return self._staff.dumps({"oid": org_id, "sid": staff_id, "ssn": session_id})

    def read_staff_token(self, token: str) -> StaffClaim:
        """What a valid, unexpired token says; whether its session still stands is the
        database's to say (service.auth.service.resolve). Tokens from before server-side
        sessions carry no session id and are refused."""
        try:
            payload = self._staff.loads(token, max_age=self._ttl)
        except SignatureExpired:
            raise TokenError("the login has expired; log in again") from None
        except BadSignature:
            raise TokenError("the token is not valid") from None
        try:
            return StaffClaim(int(payload["oid"]), int(payload["sid"]), str(payload["ssn"]))
        except (KeyError, TypeError, ValueError):
            raise TokenError("the token is not valid; log in again") from None

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
