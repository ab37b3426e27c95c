"""Queueing work by task name, sent only after the unit of work commits.

The service never imports the scheduler: it names a task and passes JSON ids. `celery_config`
is the one description of the broker and queues, shared by the sender here and by the worker
(scheduler/app.py). Tests use `LoggingDispatcher`, which records and drops.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from celery import Celery
from kombu import Queue
from sqlalchemy.orm import Session

from service.db import after_commit
from service.settings import Settings

log = logging.getLogger(__name__)
DISPATCHER_KEY = "momentcast.dispatcher"
CPU_QUEUE = "cpu"  # copy generation: long, CPU-bound
DEFAULT_QUEUE = "default"  # everything short: fan-out, reminders, sweeps, tags, roll-ups
# Folding beacons: every 5 s, what dashboards show live. Its own queue (and, under
# `momentcast run`, its own process), so it never waits behind another job's run.
TRACKING_QUEUE = "tracking"


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings for senders and workers alike. A worker consumes both queues unless
    started with -Q (`momentcast run` gives copy generation its own processes)."""
    default, cpu, tracking = (
        settings.queue_prefix + name for name in (DEFAULT_QUEUE, CPU_QUEUE, TRACKING_QUEUE)
    )
    return {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": _transport_options(settings),
        "task_queues": [Queue(default), Queue(cpu), Queue(tracking)],
        "task_default_queue": default,
        "task_routes": {
            "copies.generate": {"queue": cpu},
            "tracking.fold_events": {"queue": tracking},
        },
        # Tasks are idempotent: acknowledge after they ran, so a killed worker's task runs
        # again; one message at a time per process, so a kill loses no prefetched work.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "timezone": "UTC",
        "enable_utc": True,
    }


def _transport_options(settings: Settings) -> dict[str, Any]:
    if settings.broker_url.startswith("sqla+"):
        # The embedded broker's options go to SQLAlchemy's create_engine: several processes
        # share the SQLite file, so wait for its lock rather than fail.
        return {"connect_args": {"timeout": 30}}
    return {"visibility_timeout": settings.broker_visibility_timeout}


class CeleryDispatcher:
    """Sends tasks by name to the broker; a send that fails is logged, and the plan sweeper
    queues the work again (the database, not the broker, is the record of what is done)."""

    def __init__(self, settings: Settings) -> None:
        self.app = Celery("momentcast-sender", set_as_current=False)
        self.app.conf.update(celery_config(settings))

    def send(self, task_name: str, kwargs: dict[str, Any]) -> None:
        try:
            self.app.send_task(task_name, kwargs=kwargs)
        except Exception:
            log.exception("could not queue %s(%s); the sweeper will retry", task_name, kwargs)


class Dispatcher(Protocol):
    def send(self, task_name: str, kwargs: dict[str, Any]) -> None: ...


class LoggingDispatcher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, task_name: str, kwargs: dict[str, Any]) -> None:
        self.sent.append((task_name, kwargs))
        log.info("no worker configured; not sending %s(%s)", task_name, kwargs)


def enqueue(session: Session, task_name: str, **kwargs: Any) -> None:
    """Send `task_name(**kwargs)` after commit, through the session's dispatcher."""
    dispatcher: Dispatcher | None = session.info.get(DISPATCHER_KEY)
    if dispatcher is not None:
        after_commit(session, lambda: dispatcher.send(task_name, kwargs))
