"""Folding beacons into a page view's totals: a join (max per field), so order, duplicates and
lost middle beacons never change the result; only the last beacon before a crash is at stake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Ids per page view, whatever was queued before ids were checked at the endpoint (the view
# token's own sections, service.links): a fold never grows past this.
MAX_SECTIONS = 65  # "copy" + 64


@dataclass(frozen=True)
class Totals:
    beacons: int = 0  # highest sequence number
    visible_ms: int = 0
    engaged_ms: int | None = None
    max_scroll: int = 0
    sections: Mapping[str, int] = field(default_factory=dict)
    last_event_at: float | None = None

    def merge(self, other: Totals) -> Totals:
        """The least upper bound of both: commutative, associative and idempotent."""
        return Totals(
            beacons=max(self.beacons, other.beacons),
            visible_ms=max(self.visible_ms, other.visible_ms),
            engaged_ms=_max_optional(self.engaged_ms, other.engaged_ms),
            max_scroll=max(self.max_scroll, other.max_scroll),
            sections={
                key: max(self.sections.get(key, 0), other.sections.get(key, 0))
                for key in sorted({*self.sections, *other.sections}, key=_real_first)[:MAX_SECTIONS]
            },
            last_event_at=_max_optional(self.last_event_at, other.last_event_at),
        )


def _real_first(key: str) -> tuple[bool, str]:
    """The copy and s1, s2, ... (what landing pages have) before anything else."""
    return not (key == "copy" or (key[:1] == "s" and key[1:].isdigit())), key


def _max_optional(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else max(a, b)


def from_event(event: Mapping[str, Any]) -> Totals:
    return Totals(
        beacons=int(event["s"]),
        visible_ms=int(event["v"]),
        engaged_ms=None if event.get("e") is None else int(event["e"]),
        max_scroll=int(event["d"]),
        sections={str(k): int(v) for k, v in event.get("x", {}).items()},
        last_event_at=float(event["at"]),
    )


def fold(events: Iterable[Mapping[str, Any]], start: Totals | None = None) -> dict[int, Totals]:
    """Totals per page view id for `events`, each page view starting from `start` (or zero)."""
    folded: dict[int, Totals] = {}
    for event in events:
        page_view_id = int(event["pv"])
        folded[page_view_id] = folded.get(page_view_id, start or Totals()).merge(from_event(event))
    return folded
