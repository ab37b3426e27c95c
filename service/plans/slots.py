"""Staggered posting times: every rep gets a minute inside the window, spread evenly.

Pure functions, so the rule is easy to test: reps are ordered by a keyed hash of (post salt,
rep) — stable, not guessable, not alphabetical — and the k-th of N reps gets allowed minute
floor(k * M / N) of the M allowed minutes, plus a hash-derived second. No minute then holds
more than ceil(N / M) reps; the window is refused if that would exceed `max_share` of them.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# Re-exported for service/plans/reminders.py until the notifications package replaces it.
from service.timezones import zone as zone

MINUTE = timedelta(minutes=1)


class SlotError(ValueError):
    """The window cannot hold the reps (too short, or all of it inside quiet hours)."""


@dataclass(frozen=True)
class QuietHours:
    """Local times during which nobody is asked to post; may wrap midnight (22:00–08:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, pair: Sequence[str]) -> QuietHours:
        if len(pair) != 2:
            raise SlotError('quiet_hours must be two times, e.g. ["22:00", "08:00"]')
        try:
            start, end = (time.fromisoformat(value) for value in pair)
        except ValueError:
            raise SlotError(f"quiet_hours has a time that is not HH:MM: {list(pair)}") from None
        return cls(start, end)

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def allowed_minutes(
    start: datetime, end: datetime, tz: ZoneInfo, quiet: QuietHours | None
) -> list[datetime]:
    """The minute starts in [start, end) whose local time in `tz` is outside quiet hours."""
    minutes = []
    at = start
    while at < end:
        if quiet is None or not quiet.contains(at.astimezone(tz).time()):
            minutes.append(at)
        at += MINUTE
    return minutes


def _rank_key(salt: str, rep_key: str) -> bytes:
    return hashlib.sha256(f"{salt}:{rep_key}".encode()).digest()


def assign_slots(
    rep_keys: Sequence[str],
    *,
    salt: str,
    start: datetime,
    end: datetime,
    quiet: QuietHours | None = None,
    timezones: Mapping[str, ZoneInfo],
    default_tz: ZoneInfo,
    max_share: float,
) -> dict[str, datetime]:
    """A posting time (UTC) for every rep key, deterministic for (salt, key, set of reps).

    Reps in different timezones are spread separately over the minutes that are outside
    quiet hours in their own local time.
    """
    if end <= start:
        raise SlotError("the window must end after it starts")
    groups: defaultdict[ZoneInfo, list[str]] = defaultdict(list)
    for key in rep_keys:
        groups[timezones.get(key, default_tz)].append(key)
    slots: dict[str, datetime] = {}
    for tz, keys in groups.items():
        minutes = allowed_minutes(start, end, tz, quiet)
        if not minutes:
            raise SlotError(f"the whole window lies inside quiet hours in {tz.key}")
        per_minute = math.ceil(len(keys) / len(minutes))
        if per_minute > max(1, math.floor(max_share * len(rep_keys))):
            raise SlotError(
                f"{len(keys)} reps in {len(minutes)} minutes would put {per_minute} in one "
                f"minute, more than {max_share:.0%} of the reps; widen the window"
            )
        ordered = sorted(keys, key=lambda key: _rank_key(salt, key))
        for k, key in enumerate(ordered):
            second = _rank_key(salt, key)[-1] % 60
            slots[key] = minutes[k * len(minutes) // len(ordered)] + timedelta(seconds=second)
    return slots


def late_slot(
    rep_key: str,
    *,
    salt: str,
    start: datetime,
    end: datetime,
    quiet: QuietHours | None,
    tz: ZoneInfo,
) -> datetime | None:
    """A posting time in [start, end) for one rep who joined after the plan was made, or None
    when no minute of it is outside quiet hours. Deterministic for (salt, key, start); late
    reps are few, so a hashed minute spreads them well enough without re-spreading the rest."""
    minutes = allowed_minutes(start, end, tz, quiet)
    if not minutes:
        return None
    rank = _rank_key(salt, rep_key)
    return minutes[int.from_bytes(rank[:8], "big") % len(minutes)] + timedelta(
        seconds=rank[-1] % 60
    )
