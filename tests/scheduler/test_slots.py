"""Staggered slots: spread over the window, stable per (post, rep), quiet hours respected."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.plans.slots import QuietHours, SlotError, assign_slots, late_slot

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 19, 30, tzinfo=SHANGHAI).astimezone(UTC)


def slots(n: int, minutes: int, **kwargs: object) -> dict[str, datetime]:
    options: dict[str, object] = {
        "salt": "post-7",
        "start": START,
        "end": START + timedelta(minutes=minutes),
        "timezones": {},
        "default_tz": SHANGHAI,
        "max_share": 0.02,
    }
    options.update(kwargs)
    return assign_slots([str(i) for i in range(n)], **options)  # type: ignore[arg-type]


def test_1000_reps_in_90_minutes_put_at_most_2_percent_in_any_minute() -> None:
    assigned = slots(1000, 90)
    per_minute = Counter(at.replace(second=0) for at in assigned.values())
    assert len(assigned) == 1000
    assert max(per_minute.values()) <= 20
    assert len(per_minute) == 90  # every minute of the window is used
    assert all(START <= at < START + timedelta(minutes=90) for at in assigned.values())


def test_the_same_post_and_reps_give_the_same_slots_and_another_post_others() -> None:
    assert slots(50, 90) == slots(50, 90)
    other = slots(50, 90, salt="post-8")
    assert sum(other[k] == v for k, v in slots(50, 90).items()) < 10


def test_slots_are_not_in_rep_order() -> None:
    assigned = slots(100, 100)
    ordered = [assigned[str(i)] for i in range(100)]
    assert ordered != sorted(ordered)


def test_quiet_hours_are_respected_in_each_reps_own_timezone() -> None:
    quiet = QuietHours(time(22, 0), time(8, 0))
    berlin = ZoneInfo("Europe/Berlin")
    assigned = slots(
        200, 24 * 60, quiet=quiet, timezones={str(i): berlin for i in range(0, 200, 2)}
    )
    for key, at in assigned.items():
        local = at.astimezone(berlin if int(key) % 2 == 0 else SHANGHAI).time()
        assert time(8, 0) <= local < time(22, 0), (key, at)


def test_a_window_inside_quiet_hours_or_too_short_is_refused() -> None:
    with pytest.raises(SlotError, match="quiet hours"):
        late = START + timedelta(hours=3)  # 22:30 to 23:30 in Shanghai
        slots(10, 0, start=late, end=late + timedelta(hours=1), quiet=QuietHours(time(22), time(8)))
    with pytest.raises(SlotError, match="widen the window"):
        slots(1000, 10)
    with pytest.raises(SlotError, match="after it starts"):
        slots(10, 0)


@pytest.mark.parametrize("pair", [["22:00"], ["25:00", "08:00"], ["晚上", "早上"]])
def test_quiet_hours_must_be_two_times(pair: list[str]) -> None:
    with pytest.raises(SlotError):
        QuietHours.parse(pair)


class TestLateSlot:
    """A rep who joins after publishing: one slot in what is left of the window."""

    def late(self, key: str, *, quiet: QuietHours | None = None) -> datetime | None:
        end = START + timedelta(minutes=90)
        return late_slot(key, salt="post-7", start=START, end=end, quiet=quiet, tz=SHANGHAI)

    def test_inside_the_window_stable_per_rep_and_spread_over_reps(self) -> None:
        assigned = [self.late(str(i)) for i in range(200)]
        assert assigned == [self.late(str(i)) for i in range(200)]
        assert all(
            at is not None and START <= at < START + timedelta(minutes=90) for at in assigned
        )
        assert len({at.replace(second=0) for at in assigned if at}) > 60  # of 90 minutes

    def test_quiet_hours_are_respected_and_a_wholly_quiet_rest_gives_no_slot(self) -> None:
        evening = QuietHours(time(20, 0), time(8, 0))  # the window is 19:30-21:00 local
        for key in map(str, range(50)):
            at = self.late(key, quiet=evening)
            assert at is not None and at.astimezone(SHANGHAI).time() < time(20, 0)
        assert self.late("1", quiet=QuietHours(time(19, 0), time(22, 0))) is None
