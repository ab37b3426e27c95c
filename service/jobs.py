"""What every periodic job does per organisation (or per plan, post...): run each one on its
own, so that one that fails (bad stored data, a bug, a channel that answers nonsense) is
logged with its id and backed off while every other goes on, and give each a time budget
per run, so that no organisation's volume delays another's work by more than one run.

A failing key is skipped for a backoff that doubles with each consecutive failure (from one
run's worth up to MAX_BACKOFF); the first success forgets it. The record lives in the worker
process: a restart retries at once, which is the safe direction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

log = logging.getLogger(__name__)
Key = TypeVar("Key", bound=Hashable)
Result = TypeVar("Result")

FIRST_BACKOFF = 10.0  # seconds a key is skipped after its first failure
MAX_BACKOFF = 15 * 60.0

_lock = threading.Lock()
_failures: dict[tuple[str, Hashable], tuple[int, float]] = {}  # (job, key): (count, until)


def each(
    job: str,
    keys: Iterable[Key],
    work: Callable[[Key], Result],
    *,
    backoff: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> dict[Key, Result]:
    """`work(key)` for every key not backing off; {key: result} of those that succeeded.
    `backoff=False`: a failed key is tried again whenever asked (work queued for one run,
    such as a chunk of copies, whose retry the sweeper already spaces out)."""
    done: dict[Key, Result] = {}
    for key in keys:
        if backoff and _backing_off(job, key, clock()):
            continue
        try:
            done[key] = work(key)
        except Exception:
            count = _failed(job, key, clock())
            log.exception("%s: %r failed (%d in a row); the others go on", job, key, count)
        else:
            _succeeded(job, key)
    return done


def deadline(seconds: float, *, clock: Callable[[], float] = time.monotonic) -> float:
    """The monotonic time one key's work in this run should stop at."""
    return clock() + max(0.0, seconds)


def past(until: float | None) -> bool:
    return until is not None and time.monotonic() >= until


def _backing_off(job: str, key: Hashable, now: float) -> bool:
    with _lock:
        failure = _failures.get((job, key))
    return failure is not None and now < failure[1]


def _failed(job: str, key: Hashable, now: float) -> int:
    with _lock:
        count = _failures.get((job, key), (0, 0.0))[0] + 1
        wait = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (count - 1))
        _failures[(job, key)] = (count, now + wait)
    return count


def _succeeded(job: str, key: Hashable) -> None:
    with _lock:
        _failures.pop((job, key), None)


def forget() -> None:
    """Drop every backoff (tests start from a clean slate)."""
    with _lock:
        _failures.clear()
