"""The Celery app, configured from the one Settings class (service.queue.celery_config)."""

from __future__ import annotations

from celery import Celery

from scheduler import shutdown
from scheduler.beat import schedule
from service.queue import celery_config
from service.settings import Settings

settings = Settings()
app = Celery("momentcast", include=["scheduler.tasks", "scheduler.tracking_tasks"])
app.conf.update(celery_config(settings))
app.conf.beat_schedule = schedule(settings)
app.conf.beat_schedule_filename = str(settings.data_dir / "celerybeat-schedule")
shutdown.install(settings.shutdown_grace_seconds)
