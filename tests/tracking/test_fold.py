"""Folding keeps the maximum of every running total: any permutation and duplication of a
page view's beacons gives the same row, and losing middle beacons changes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from service.tracking.beacons import Beacon, to_event
from service.tracking.fold import Totals, fold


@st.composite
def beacon_sequences(draw: st.DrawFn) -> list[dict[str, Any]]:
    """What one tracker sends: totals that only grow, one beacon per sequence number."""
    count = draw(st.integers(1, 12))
    events, visible, engaged, depth, sections = [], 0, 0, 0, {"copy": 0, "s1": 0, "s2": 0}
    for seq in range(1, count + 1):
        step = draw(st.integers(0, 15_000))
        visible += step
        gained = draw(st.integers(0, step))
        engaged += gained
        sections[draw(st.sampled_from(sorted(sections)))] += gained
        depth = min(100, depth + draw(st.integers(0, 30)))
        events.append(
            {
                "pv": draw(st.sampled_from([1, 2])),
                "s": seq,
                "v": visible,
                "e": engaged,
                "d": depth,
                "x": {k: v for k, v in sections.items() if v},
                "at": 1000.0 + seq,
            }
        )
    return events


@settings(max_examples=150, deadline=None)
@given(events=beacon_sequences(), data=st.data())
def test_any_permutation_and_duplication_gives_the_same_row(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    replayed = data.draw(st.lists(st.sampled_from(events), max_size=30))
    shuffled = data.draw(st.permutations(events + replayed))
    assert fold(shuffled) == fold(events)


@settings(max_examples=100, deadline=None)
@given(events=beacon_sequences(), data=st.data())
def test_losing_middle_beacons_changes_nothing_once_the_last_arrives(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    last = {}
    for event in events:
        last[event["pv"]] = event
    kept = [e for e in events if data.draw(st.booleans())] + list(last.values())
    folded, complete = fold(kept), fold(events)
    for pv, totals in complete.items():
        assert folded[pv].visible_ms == totals.visible_ms
        assert folded[pv].engaged_ms == totals.engaged_ms
        assert folded[pv].sections == totals.sections


totals = st.builds(
    Totals,
    beacons=st.integers(0, 9),
    visible_ms=st.integers(0, 99),
    engaged_ms=st.none() | st.integers(0, 99),
    max_scroll=st.integers(0, 100),
    sections=st.dictionaries(st.sampled_from("abc"), st.integers(0, 99)),
)


@given(a=totals, b=totals)
def test_merge_is_commutative_and_idempotent(a: Totals, b: Totals) -> None:
    assert a.merge(b) == b.merge(a)
    assert a.merge(a) == a.merge(Totals())
    assert a.merge(b).merge(b) == a.merge(b)


class TestClamp:
    def beacon(self, **fields: Any) -> Beacon:
        return Beacon.model_validate(
            {"t": "token-123", "s": 1, "v": 0, "e": 0, "d": 0, "x": {}} | fields
        )

    def test_time_beyond_what_the_server_saw_is_cut(self) -> None:
        event = to_event(
            self.beacon(v=60_000, e=60_000, x={"s1": 60_000}),
            page_view_id=1,
            opened_at=1000,
            received_at=1010.0,
            margin_s=5,
        )
        assert (event["v"], event["e"], event["x"]) == (15_000, 15_000, {"s1": 15_000})

    def test_engaged_never_exceeds_visible_and_sections_fit_in_it(self) -> None:
        event = to_event(
            self.beacon(v=8000, e=9000, x={"a": 6000, "b": 6000}),
            page_view_id=1,
            opened_at=1000,
            received_at=1100.0,
            margin_s=5,
        )
        assert event["e"] == 8000
        assert sum(event["x"].values()) <= 8000

    def test_honest_totals_pass_unchanged(self) -> None:
        event = to_event(
            self.beacon(v=8000, e=7000, d=55, x={"a": 3000, "b": 4000}),
            page_view_id=7,
            opened_at=1000,
            received_at=1009.0,
            margin_s=5,
        )
        assert event == {
            "pv": 7,
            "s": 1,
            "v": 8000,
            "e": 7000,
            "d": 55,
            "x": {"a": 3000, "b": 4000},
            "at": 1009.0,
        }
