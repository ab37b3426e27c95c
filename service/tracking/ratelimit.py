"""In-process token buckets that refuse over-rate beacon senders before anything is queued.

Per process by design: the endpoint must not make a network call to decide, and a sender that
spreads over several processes still gets at most (processes x rate).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBuckets:
    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate, self._burst, self._max_keys, self._clock = rate, float(burst), max_keys, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > self._max_keys:
                self._forget_full(now)
            return allowed

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes nothing."""
        refill = self._burst / self._rate if self._rate > 0 else float("inf")
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
