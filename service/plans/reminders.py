"""Reminders: one per rep per post at the slot, a second one later to reps who have not
pressed "我已发布", on every configured channel.

This module only decides what is due and enqueues it (service.notifications): `queue_due`
queues stage-1 reminders for slots that have come and stage-2 ones for reps still not posted
`second_reminder_after_minutes` after the first — one row per (item, stage, channel), so
running it twice queues nothing twice. Sending, retries and failure marking are the
notifications' (scheduler/tasks.py runs both halves, each organisation on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service import jobs, notifications
from service.db import unit_of_work
from service.models import utcnow
from service.notifications import Channels, DueReminder, Notifier
from service.plans import repository
from service.runtime import Runtime

BATCH = 500  # items queued per stage, organisation and run; the next run carries on


def queue_all(runtime: Runtime, configured: Channels) -> int:
    """The reminder job's deciding half: every organisation's due reminders queued, each
    organisation on its own (one failing never stops another's)."""

    def one(org_id: int) -> int:
        with unit_of_work(runtime.sessions) as session:
            return queue_due(session, runtime, configured[org_id], utcnow(), org_id=org_id)

    return sum(jobs.each("reminders.queue", configured, one).values())


def queue_due(
    session: Session,
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    now: datetime,
    *,
    org_id: int,
) -> int:
    """Queue `org_id`'s due reminders on `notifiers`; returns rows queued."""
    if not notifiers:
        return 0
    due = _due(session, org_id=org_id, stage=1, sent_before=now)
    after = runtime.settings.second_reminder_after_minutes
    if after > 0:
        later = now - timedelta(minutes=after)
        due += _due(session, org_id=org_id, stage=2, sent_before=later)
    return notifications.enqueue_reminders(session, runtime, notifiers, due, now=now)


def _due(session: Session, *, org_id: int, stage: int, sent_before: datetime) -> list[DueReminder]:
    found = repository.due_for_reminder(
        session, org_id=org_id, stage=stage, sent_before=sent_before, limit=BATCH
    )
    return [DueReminder(item=item, rep=rep, stage=stage) for item, rep in found]
