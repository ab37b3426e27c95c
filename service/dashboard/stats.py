"""Small statistics the dashboard computes in Python (the same on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence


def median(values: Sequence[int | float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count), like
    PostgreSQL's `percentile_cont(0.5)`; None for no values."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def rate(part: int, whole: int) -> float | None:
    """A share in percent with one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None
