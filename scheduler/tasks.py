"""Publishing and reminder jobs: thin adapters over service.plans, queued by name.

- copies.fan_out: queue generation of a plan's missing copies in chunks
- copies.generate: make a chunk of reps' copies (CPU queue; idempotent)
- plans.sweep: re-queue plans that stopped making progress
- plans.enrol_late_reps: slots and copies for reps who joined after a post was published
- media.remove_orphans: delete image files a killed process left without a row
- reminders.send_due: queue due reminders (service.plans) and deliver them (service.notifications)
- alerts.send_due: deliver the queued read alerts (a viewer reached a read-time tier)
"""

from __future__ import annotations

from celery import shared_task

from scheduler.runtime import current
from service import notifications, orphans
from service.db import unit_of_work
from service.plans import reminders
from service.plans import service as plans


@shared_task(name="copies.fan_out", ignore_result=True)
def fan_out(org_id: int, post_id: int) -> int:
    runtime = current()
    with unit_of_work(runtime.sessions) as session:
        return plans.fan_out(session, runtime.settings, org_id=org_id, post_id=post_id)


@shared_task(name="copies.generate", ignore_result=True)
def generate(org_id: int, post_id: int, rep_ids: list[int], more: bool = False) -> int:
    runtime = current()
    return plans.generate(
        runtime.sessions,
        runtime.storage,
        org_id=org_id,
        post_id=post_id,
        rep_ids=rep_ids,
        more=more,
    )


@shared_task(name="plans.sweep", ignore_result=True)
def sweep() -> int:
    runtime = current()
    return plans.sweep(runtime.sessions, runtime.settings)


@shared_task(name="plans.enrol_late_reps", ignore_result=True)
def enrol_late_reps() -> int:
    runtime = current()
    return plans.enrol_late_reps(runtime.sessions, runtime.settings)


@shared_task(name="media.remove_orphans", ignore_result=True)
def remove_orphans() -> int:
    runtime = current()
    return orphans.remove_orphans(runtime.sessions, runtime.storage)


@shared_task(name="alerts.send_due", ignore_result=True)
def send_alerts() -> dict[str, int]:
    runtime = current()
    return notifications.deliver_due_alerts(runtime, notifications.channels(runtime))


@shared_task(name="reminders.send_due", ignore_result=True)
def send_due() -> dict[str, int]:
    runtime = current()
    configured = notifications.channels(runtime)
    reminders.queue_all(runtime, configured)
    return notifications.deliver_due_reminders(runtime, configured)
