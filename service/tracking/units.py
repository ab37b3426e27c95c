"""Units the read models show: stored milliseconds become seconds with one decimal."""

from __future__ import annotations


def seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)
