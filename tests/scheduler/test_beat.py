"""The periodic jobs (scheduler/beat.py) all name tasks the worker knows."""

from __future__ import annotations

from scheduler.app import app


def test_every_periodic_job_names_a_registered_task() -> None:
    app.loader.import_default_modules()
    scheduled = {name: entry["task"] for name, entry in app.conf.beat_schedule.items()}
    assert "plans.enrol_late_reps" in scheduled.values()
    for name, task in scheduled.items():
        assert task in app.tasks, name
