"""The Celery app, configured from the one Settings class (service.queue.celery_config)."""

from __future__ import annotations

import time
from typing import Any

from celery import Celery, signals

from scheduler import shutdown
from scheduler.beat import schedule
from service import engines, logs
from service.queue import celery_config
from service.settings import Settings

settings = Settings()
app = Celery("momentcast", include=["scheduler.tasks", "scheduler.tracking_tasks"])
app.conf.update(celery_config(settings))
app.conf.beat_schedule = schedule(settings)
app.conf.beat_schedule_filename = str(settings.data_dir / "celerybeat-schedule")
_started: dict[str, float] = {}


@signals.setup_logging.connect
def _configure_logging(**_: Any) -> None:
    """Connected, so Celery leaves the root logger to us: the same lines as the API's."""
    logs.configure(json_lines=settings.log_json_lines, level=settings.log_level)


@signals.worker_process_init.connect
@signals.worker_init.connect
def _warm_up(**_: Any) -> None:
    """Each worker process (the prefork children, and the main one for a solo pool) sets the
    engines' process settings and loads the dictionary before its first task."""
    engines.warm_up()


@signals.task_prerun.connect
def _bind_task(task_id: str, task: Any, **_: Any) -> None:
    logs.bind(task_id=task_id)
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _log_task_run(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    """Every job's run time at info (the periodic jobs' budgets are read from these)."""
    seconds = time.perf_counter() - _started.pop(task_id, time.perf_counter())
    logs.log.info("task %s %s", task.name, state, extra={"seconds": round(seconds, 3)})
    logs.clear()


shutdown.install(settings.shutdown_grace_seconds)
