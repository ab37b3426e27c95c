"""A worker's shutdown, bounded: SIGTERM finishes the tasks in flight for at most
`shutdown_grace_seconds`; then the tasks still running are stopped, sent back to the broker,
and the worker exits.

Celery alone waits for running tasks without a limit, and when a SIGTERM reaches the whole
process group (systemd's control-group kill, supervisord's stopasgroup, a terminal) its prefork
pool processes die of it and the main process then waits for them forever. Run with
REMAP_SIGTERM=SIGQUIT in the environment (billiard reads it at import, before this module can
set it): pool processes then ignore SIGTERM and only the main process acts on it. That setting
also makes the main process's SIGTERM an immediate cold shutdown, which would redo every task
in flight; `install` puts the bounded warm shutdown in its place once the worker is up.

At the limit this does not use Celery's cold shutdown: measured here it hung in about one
stop in four (it joins pool threads that wait for processes it has just told to exit, and a
pool process can swallow the SystemExit its SIGQUIT raises). Killing the pool processes and
publishing their messages again on a connection of its own is bounded. A task given back may
run twice (its first delivery can come back too: Redis after the visibility timeout); tasks
are idempotent, so it makes nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from billiard.common import REMAP_SIGTERM
from celery import Celery, signals
from celery.worker import state
from kombu import Queue

log = logging.getLogger(__name__)


def install(grace_seconds: float) -> None:
    """Have this app's workers exit within `grace_seconds` (+ about a second) of SIGTERM."""

    def on_ready(sender: Any = None, **_: Any) -> None:
        if REMAP_SIGTERM != "SIGQUIT":
            log.warning(
                "REMAP_SIGTERM=SIGQUIT is not set: a SIGTERM sent to the whole process group "
                "kills the pool processes mid-task"
            )
        signal.signal(signal.SIGTERM, _warm_handler(sender.app, grace_seconds))

    signals.worker_ready.connect(on_ready, weak=False)


def _warm_handler(app: Celery, grace_seconds: float) -> Any:
    started = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if started.is_set():
            return  # a second SIGTERM (e.g. to the group after one to the process) changes nothing
        started.set()
        log.warning("warm shutdown: finishing running tasks for up to %.0f s", grace_seconds)
        timer = threading.Timer(grace_seconds, _give_back_and_exit, (app,))
        timer.daemon = True  # a worker that stopped in time exits without waiting for it
        timer.start()
        state.should_stop = 0  # what Celery's own warm-shutdown handler sets: the loop stops

    return handle


def _give_back_and_exit(app: Celery) -> None:
    running = [r for r in tuple(state.active_requests) if r.id not in state.successful_requests]
    log.warning("shutdown time limit reached: giving %d running task(s) back", len(running))
    _kill(_children())  # first, so that no task finishes after it was given back
    try:
        _publish_again(app, running)
    except Exception:
        log.exception("could not give the tasks back; the sweeper will re-queue their work")
    finally:
        os._exit(1)


def _children() -> set[int]:
    """This process's children: the pool processes and, with --beat, beat."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found |= {int(pid) for pid in (task / "children").read_text().split()}
    return found


def _kill(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _publish_again(app: Celery, requests: list[Any]) -> None:
    """Each message as it was delivered: same exchange and routing key (Celery sends a routed
    task to the default exchange with the queue's name as the key), body and headers."""
    queues: dict[str, Queue] = dict(app.amqp.queues)
    with app.connection_for_write() as connection:
        producer = connection.Producer()
        for request in requests:
            message = request.message
            info = message.delivery_info
            key = info.get("routing_key") or ""
            log.info("giving back %s (exchange %r, key %r)", request, info.get("exchange"), key)
            producer.publish(
                message.body,
                exchange=info.get("exchange") or "",
                routing_key=key,
                declare=[queues[key]] if key in queues else [],
                headers=message.headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                retry=True,
                retry_policy={"max_retries": 3, "interval_start": 0.2},
                **{k: v for k, v in message.properties.items() if k in PROPERTIES},
            )


PROPERTIES = ("correlation_id", "reply_to", "priority")  # what Celery's messages carry
