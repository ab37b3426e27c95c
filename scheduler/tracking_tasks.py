"""Read-tracking jobs: thin adapters over service.tracking, queued by name.

- tracking.fold_events: fold queued beacons into page views (ack after commit; idempotent)
- tracking.recompute_tags: re-derive every organisation's viewer tags from the current rules
- tracking.purge_events: delete folded raw events older than the retention period
"""

from __future__ import annotations

import threading

from celery import shared_task

from service.runtime import Runtime
from service.settings import Settings
from service.tracking import consumer, privacy, tags
from service.tracking.events import EventStore, open_store

FOLD_BATCHES_PER_RUN = 40  # bounded work per run; the next run carries on

_lock = threading.Lock()
_runtime: Runtime | None = None
_store: EventStore | None = None


def use_runtime(runtime: Runtime | None) -> None:
    """Point the tasks at `runtime` (the worker's, or a test's); None: build from Settings."""
    global _runtime, _store
    with _lock:
        if _store is not None:
            _store.close()
        _runtime, _store = runtime, None


def _current() -> tuple[Runtime, EventStore]:
    global _runtime, _store
    with _lock:
        if _runtime is None:
            _runtime = Runtime.build(Settings())
        if _store is None:
            _store = open_store(_runtime.settings)
        return _runtime, _store


@shared_task(name="tracking.fold_events", ignore_result=True)
def fold_events() -> int:
    runtime, store = _current()
    return consumer.drain(runtime.sessions, store, max_batches=FOLD_BATCHES_PER_RUN)


@shared_task(name="tracking.recompute_tags", ignore_result=True)
def recompute_tags() -> dict[int, int]:
    runtime, _ = _current()
    return tags.recompute_all(runtime.sessions)


@shared_task(name="tracking.purge_events", ignore_result=True)
def purge_events() -> int:
    runtime, store = _current()
    return privacy.purge_events(store, runtime.settings)


# What the beat schedule runs (seconds between runs); scheduler's beat merges these in.
SCHEDULE = {
    "tracking-fold-events": ("tracking.fold_events", 5.0),
    "tracking-recompute-tags": ("tracking.recompute_tags", 600.0),
    "tracking-purge-events": ("tracking.purge_events", 24 * 3600.0),
}
