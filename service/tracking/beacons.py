"""The tracker's beacon: parsed, checked and clamped into the event the consumer folds.

Wire format (text/plain, JSON): {"t": view token, "s": sequence, "k": kind, "v": visible ms,
"e": engaged ms, "d": max scroll percent, "x": {section id: ms}}. Every number is a running
total, so the server keeps maxima and a lost, repeated or late beacon changes nothing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.errors import Unprocessable
from service.tracking.validation import validated

MAX_BODY_BYTES = 4096
MAX_MS = 7 * 24 * 3600 * 1000  # a page left open for a week is still one page view

SectionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Millis = Annotated[int, Field(ge=0, le=MAX_MS)]


class Beacon(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    t: Annotated[str, StringConstraints(min_length=8, max_length=300)]
    s: Annotated[int, Field(ge=0, le=1_000_000)]
    k: Literal["load", "hb", "hide", "show", "pagehide"] = "hb"
    v: Millis
    e: Millis | None = None
    d: Annotated[int, Field(ge=0, le=100)] = 0
    x: Annotated[dict[SectionId, Millis], Field(max_length=64)] = Field(default_factory=dict)


def parse(body: bytes) -> Beacon:
    """The beacon in `body`, or Unprocessable naming what is wrong with it."""
    if len(body) > MAX_BODY_BYTES:
        raise Unprocessable(f"the beacon is over {MAX_BODY_BYTES} bytes", code="beacon_too_large")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise Unprocessable("the beacon is not JSON", code="invalid_beacon") from None
    if not isinstance(data, dict):
        raise Unprocessable("the beacon must be a JSON object", code="invalid_beacon")
    return validated(Beacon, data, code="invalid_beacon")


def to_event(
    beacon: Beacon,
    *,
    page_view_id: int,
    opened_at: int,
    received_at: float,
    margin_s: float,
    section_ids: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The event to queue: every duration clamped to what the server saw elapse (plus a margin),
    engaged time to visible time, so a forged or buggy tracker cannot claim more; sections
    other than the page's own (`section_ids`, from the view token) are dropped, so ids cannot
    pile up across beacons."""
    ceiling = max(0, int((received_at - opened_at + margin_s) * 1000))
    visible = min(beacon.v, ceiling)
    engaged = None if beacon.e is None else min(beacon.e, visible)
    sections = (
        beacon.x
        if section_ids is None
        else {key: ms for key, ms in beacon.x.items() if key in section_ids}
    )
    return {
        "pv": page_view_id,
        "s": beacon.s,
        "v": visible,
        "e": engaged,
        "d": beacon.d,
        "x": _within(sections, visible),
        "at": round(received_at, 3),
    }


def _within(sections: dict[str, int], visible: int) -> dict[str, int]:
    """Section times scaled down if together they claim more than the visible time."""
    total = sum(sections.values())
    if total <= visible:
        return dict(sections)
    return {key: ms * visible // total for key, ms in sections.items()}
