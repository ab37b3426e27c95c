"""The consumer: folds queued beacons into page views (max of totals) and viewers' roll-ups.

Each batch is one unit of work; its deliveries are acknowledged only after the commit, so a
crash means redelivery, and redelivery is harmless because folding keeps maxima.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from service.db import unit_of_work
from service.tracking import repository
from service.tracking.events import EventStore
from service.tracking.fold import Totals, fold, from_event

log = logging.getLogger(__name__)
BATCH = 500


def apply(session: Session, events: Iterable[Mapping[str, Any]]) -> int:
    """Fold `events` into their page views; returns how many page views changed. An event
    that cannot be read (a stored one of another shape) is logged and dropped: redelivered,
    it would stop every organisation's folding at the same place, every run."""
    folded = fold(_readable(events))
    if not folded:
        return 0
    rows = repository.views_for_update(session, list(folded))
    for row in rows:
        merged = _totals(row).merge(folded[row.id])
        row.beacons, row.visible_ms = merged.beacons, merged.visible_ms
        row.engaged_ms, row.max_scroll = merged.engaged_ms, merged.max_scroll
        row.sections = dict(merged.sections)
        if merged.last_event_at is not None:
            row.last_event_at = datetime.fromtimestamp(merged.last_event_at, UTC)
    missing = set(folded) - {row.id for row in rows}
    if missing:  # erased viewers' late beacons: nothing to fold them into
        log.info("dropping events of %d unknown page views", len(missing))
    session.flush()
    repository.refresh_viewers(session, [row.viewer_id for row in rows])
    return len(rows)


def _readable(events: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for event in events:
        try:
            from_event(event), int(event["pv"])
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            log.warning("dropping an unreadable event: %.200r", event)
            continue
        yield event


def _totals(row: Any) -> Totals:
    return Totals(
        beacons=row.beacons,
        visible_ms=row.visible_ms,
        engaged_ms=row.engaged_ms,
        max_scroll=row.max_scroll,
        sections=dict(row.sections or {}),
        last_event_at=row.last_event_at.timestamp() if row.last_event_at else None,
    )


def drain(
    sessions: sessionmaker[Session],
    store: EventStore,
    *,
    batch: int = BATCH,
    max_batches: int | None = None,
) -> int:
    """Fold everything queued (or `max_batches` batches); returns the events consumed."""
    consumed = batches = 0
    while max_batches is None or batches < max_batches:
        deliveries = store.read(count=batch)
        if not deliveries:
            break
        with unit_of_work(sessions) as session:
            apply(session, [d.event for d in deliveries if d.event])
        store.ack([d.id for d in deliveries])
        consumed += len(deliveries)
        batches += 1
    return consumed
