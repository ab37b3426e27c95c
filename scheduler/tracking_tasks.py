"""Read-tracking jobs: thin adapters over service.tracking, queued by name.

- tracking.fold_events: fold queued beacons into page views (ack after commit; idempotent)
- tracking.recompute_tags: re-derive every organisation's viewer tags from the current rules
- dashboard.refresh_rollups: rebuild the dashboard's per-post roll-ups whose views changed
- tracking.purge_events: delete folded raw events older than the retention period
"""

from __future__ import annotations

import threading

from celery import shared_task

from scheduler.runtime import current
from service.dashboard import rollup
from service.runtime import Runtime
from service.tracking import consumer, privacy, tags
from service.tracking.events import EventStore, open_store

FOLD_BATCHES_PER_RUN = 40  # bounded work per run; the next run carries on

_lock = threading.Lock()
_store: EventStore | None = None
_store_runtime: Runtime | None = None


def _current() -> tuple[Runtime, EventStore]:
    """The worker's runtime and its event store (reopened if a test swapped the runtime)."""
    global _store, _store_runtime
    runtime = current()
    with _lock:
        if _store is None or _store_runtime is not runtime:
            if _store is not None:
                _store.close()
            _store, _store_runtime = open_store(runtime.settings), runtime
        return runtime, _store


@shared_task(name="tracking.fold_events", ignore_result=True)
def fold_events() -> int:
    runtime, store = _current()
    return consumer.drain(runtime.sessions, store, max_batches=FOLD_BATCHES_PER_RUN)


@shared_task(name="tracking.recompute_tags", ignore_result=True)
def recompute_tags() -> dict[int, int]:
    runtime, _ = _current()
    return tags.recompute_all(runtime.sessions)


@shared_task(name="dashboard.refresh_rollups", ignore_result=True)
def refresh_rollups() -> int:
    runtime, _ = _current()
    return rollup.refresh_active(runtime.sessions)


@shared_task(name="tracking.purge_events", ignore_result=True)
def purge_events() -> int:
    runtime, store = _current()
    return privacy.purge_events(store, runtime.settings)
