"""Sending what is queued: due reminders and alerts, outside any transaction, each outcome
recorded in its own unit of work; failures retried with backoff, then marked failed.

One batch (reminders) or one alert failing in any way — a channel's refusal, bad stored
data, an answer nobody expected — is that batch's or alert's recorded failure: it never
stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from service import jobs
from service.db import unit_of_work
from service.models import PlanItem, Reminder, Rep, RepAlert, utcnow
from service.notifications import repository
from service.notifications.messages import (
    Notification,
    PostReminder,
    ReadAlert,
    Recipient,
    single_line,
)
from service.notifications.notifiers import Notifier, NotifierError, Undeliverable
from service.runtime import Runtime
from service.security import RepLink
from service.settings import Settings
from service.timezones import zone

log = logging.getLogger(__name__)
REMINDER_BATCH = 500  # reminders handled per run; the next run carries on
ALERT_BATCH = 200


class Deliverable(Protocol):
    """A row that tracks its own delivery (service.models.plan.Delivery)."""

    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


def record(
    row: Deliverable, error: str | None, settings: Settings, at: datetime, *, permanent: bool
) -> str:
    """One attempt's outcome: "sent", "retry" (after an exponential backoff) or, once
    `reminder_max_attempts` have failed (or at once when `permanent`), "failed" for good."""
    row.attempts += 1
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", at, None
        return "sent"
    row.last_error = error[:2000]
    if permanent or row.attempts >= settings.reminder_max_attempts:
        row.status = "failed"
        return "failed"
    delay = settings.reminder_backoff_seconds * 2 ** (row.attempts - 1)
    row.next_attempt_at = at + timedelta(seconds=delay)
    return "retry"


def recipient(runtime: Runtime, rep: Rep) -> Recipient:
    return Recipient(
        rep_id=rep.id,
        name=single_line(rep.name),
        team=single_line(rep.team),
        phone=rep.phone,
        email=rep.email,
        # The same link as service.reps.service.personal_url, made from the shared
        # plumbing: this package does not import the reps domain (tests/notifications).
        url=runtime.rep_url(runtime.signer.rep_token(RepLink(rep.org_id, rep.id, rep.link_nonce))),
    )


def post_reminder(
    runtime: Runtime, item: PlanItem, rep: Rep, *, stage: int, title: str
) -> PostReminder:
    return PostReminder(
        recipient=recipient(runtime, rep),
        stage=stage,
        post_id=item.post_id,
        post_title=single_line(title),
        slot_local=item.slot_at.astimezone(
            zone(rep.timezone) or ZoneInfo(runtime.settings.default_timezone)
        ).strftime("%H:%M"),
        slot_at=item.slot_at.isoformat(),
    )


def read_alert(runtime: Runtime, alert: RepAlert, rep: Rep, label: str | None) -> ReadAlert:
    return ReadAlert(
        recipient=recipient(runtime, rep),
        alert_id=alert.id,
        viewer_label=label or f"读者 #{alert.viewer_id}",
        tag=alert.tag,
        evidence=alert.evidence,
    )


Row = tuple[Reminder, PlanItem, str, Rep]


def deliver_reminders(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    *,
    org_id: int,
    now: datetime | None = None,
    until: float | None = None,
) -> dict[str, int]:
    """Send `org_id`'s due pending reminders in batches per (channel, post, stage), stopping
    at the monotonic time `until` (the rest stay due); counts of reminders sent, retried
    later and failed."""
    now = now or utcnow()
    by_channel = {notifier.channel: notifier for notifier in notifiers}
    with unit_of_work(sessions) as session:
        rows = repository.pending_reminders(session, org_id=org_id, now=now, limit=REMINDER_BATCH)
        sent = repository.robot_messages_since(
            session, org_id=org_id, since=now - timedelta(minutes=1)
        )
        budget = {"wecom": runtime.settings.wecom_messages_per_minute - sent}
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for (channel, _post, _stage), group in groupby(
        rows, key=lambda row: (row[0].channel, row[1].post_id, row[0].stage)
    ):
        notifier = by_channel.get(channel)
        if notifier is None:
            continue  # the channel was configured away; the rows wait
        members = list(group)
        for start in range(0, len(members), notifier.batch_size):
            if channel in budget and budget[channel] <= 0:
                break  # the robot's per-minute limit: the next run carries on
            if jobs.past(until):
                return counts  # this organisation's share of the run is used up
            batch = members[start : start + notifier.batch_size]
            error, permanent = _send_reminders(runtime, notifier, batch)
            if channel in budget:
                budget[channel] -= 1
            ids = [r.id for r, *_ in batch]
            outcome = _record_reminders(
                sessions, runtime, org_id=org_id, ids=ids, error=error, permanent=permanent
            )
            counts[outcome] += len(batch)
    return counts


def _send_reminders(
    runtime: Runtime, notifier: Notifier, batch: list[Row]
) -> tuple[str | None, bool]:
    """Build and send one batch: (error or None, whether no retry can help)."""
    ids = [r.id for r, *_ in batch]
    try:
        messages: list[Notification] = [
            post_reminder(runtime, item, rep, stage=r.stage, title=title)
            for r, item, title, rep in batch
        ]
        notifier.send(messages)
    except NotifierError as exc:
        log.warning("%s reminders %s failed: %s", notifier.channel, ids, exc)
        return str(exc), isinstance(exc, Undeliverable)
    except Exception as exc:  # bad stored data or a bug: this batch only, retried with backoff
        log.exception("%s reminders %s failed unexpectedly", notifier.channel, ids)
        return f"{exc.__class__.__name__}: {exc}", False
    return None, False


def _record_reminders(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    *,
    org_id: int,
    ids: list[int],
    error: str | None,
    permanent: bool,
) -> str:
    at, outcome = utcnow(), "sent"
    with unit_of_work(sessions) as session:
        for reminder, item in repository.reminders_with_items(session, org_id=org_id, ids=ids):
            result = record(reminder, error, runtime.settings, at, permanent=permanent)
            outcome = result if result != "sent" else outcome
            if result == "sent" and reminder.stage == 1 and item.reminded_at is None:
                item.reminded_at = at
            if result == "sent" and reminder.stage == 2 and item.second_reminded_at is None:
                item.second_reminded_at = at
    return outcome


def deliver_alerts(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    *,
    org_id: int,
    now: datetime | None = None,
    until: float | None = None,
) -> dict[str, int]:
    """Send `org_id`'s due pending alerts, one message per alert and notifier, until the
    monotonic time `until`; counts by outcome ("none": no channel wanted it, the alert is
    on the rep's page all the same)."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0, "none": 0}
    with unit_of_work(sessions) as session:
        due = repository.pending_alerts(session, org_id=org_id, now=now, limit=ALERT_BATCH)
    for alert, rep, label in due:
        if jobs.past(until):
            break  # this organisation's share of the run is used up; the rest stay due
        wanted, errors, permanent = _send_alert(runtime, notifiers, alert, rep, label)
        with unit_of_work(sessions) as session:
            row = repository.get_alert(session, org_id=org_id, alert_id=alert.id)
            assert row is not None
            if not wanted:
                row.status, outcome = "none", "none"
            else:
                error = "; ".join(errors) or None
                outcome = record(row, error, runtime.settings, utcnow(), permanent=permanent)
        counts[outcome] += 1
    return counts


def _send_alert(
    runtime: Runtime, notifiers: Sequence[Notifier], alert: RepAlert, rep: Rep, label: str | None
) -> tuple[bool, list[str], bool]:
    """(whether any notifier wanted it, the errors, whether no retry can help any of them)."""
    try:
        message = read_alert(runtime, alert, rep, label)
        wanted = [n for n in notifiers if n.wants(message.recipient)]
    except Exception as exc:  # bad stored data: this alert only
        log.exception("alert %s cannot be written", alert.id)
        return True, [f"{exc.__class__.__name__}: {exc}"], False
    errors, permanent = [], bool(wanted)
    for notifier in wanted:
        try:
            notifier.send([message])
            permanent = False
        except NotifierError as exc:
            log.warning("%s alert %s failed: %s", notifier.channel, alert.id, exc)
            errors.append(f"{notifier.channel}: {exc}")
            permanent = permanent and isinstance(exc, Undeliverable)
        except Exception as exc:  # a bug or an answer nobody expected: this alert only
            log.exception("%s alert %s failed unexpectedly", notifier.channel, alert.id)
            errors.append(f"{notifier.channel}: {exc.__class__.__name__}: {exc}")
            permanent = False
    return bool(wanted), errors, permanent and bool(errors)
