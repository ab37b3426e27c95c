"""The scheduler's tracking jobs run in a real Celery worker on a real Redis broker."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from fastapi import FastAPI

from scheduler import runtime as worker_runtime
from scheduler import tracking_tasks  # noqa: F401  (registers the tasks with every app)
from service.runtime import Runtime
from service.tracking.events import open_store
from service.tracking.ratelimit import TokenBuckets
from service.tracking.router import Gate
from tests.tracking.conftest import REDIS_URL, redis_or_skip


@pytest.fixture
def worker(runtime: Runtime, app: FastAPI) -> Iterator[Celery]:
    redis_or_skip()
    celery = Celery("tracking-test", broker=REDIS_URL, set_as_current=False)
    celery.conf.update(
        task_default_queue=f"tracking-test-{uuid.uuid4().hex}",
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    worker_runtime.use_runtime(runtime)
    store = open_store(runtime.settings)  # the journal the task reads
    app.state.tracking = Gate(
        store=store,
        per_view=TokenBuckets(rate=10, burst=100),
        per_ip=TokenBuckets(rate=10_000, burst=10_000),
    )
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    with start_worker(
        celery, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"
    ):
        yield celery
    root.setLevel(level)  # the worker reconfigures the root logger; later tests read logs
    root.handlers[:] = handlers
    app.state.tracking = None
    store.close()
    worker_runtime.use_runtime(None)


def wait_for(check: Any, *, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_fold_and_tag_jobs_run_in_a_worker(
    worker: Celery, share: Any, viewer: Any, staff_client: Any
) -> None:
    shared = share()
    phone = viewer()
    token, _ = phone.open(shared.path)
    assert phone.beacon(token, s=1, v=90_000, e=75_000, d=95).status_code == 204
    worker.send_task("tracking.fold_events")

    def folded() -> list[Any]:
        rows = staff_client.get(
            f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
        ).json()
        return [r for r in rows if r["engaged_seconds"] == 75.0]

    (row,) = wait_for(folded)
    worker.send_task("tracking.recompute_tags")

    def tagged() -> set[str]:
        detail = staff_client.get(
            f"/api/viewers/{row['viewer_id']}", headers=shared.org.manager
        ).json()
        return {tag["tag"] for tag in detail["tags"]}

    assert {"细读", "读完"} <= wait_for(tagged)
