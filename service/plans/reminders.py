"""Reminders: one per rep per post at the slot, a second one later to reps who have not
pressed "我已发布", on every configured channel, retried with backoff, then marked failed.

Two steps, both run by a periodic job. `queue_due` writes a pending `Reminder` row per
(item, stage, channel) — unique, so running it twice queues nothing twice. `deliver` sends
the pending rows that are due, outside any transaction, and records each outcome. `send_due`
is the periodic job: each organisation on its own (service.jobs), within a time budget.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session, sessionmaker

from service import jobs
from service.db import unit_of_work
from service.models import Copy, PlanItem, Post, Reminder, Rep, utcnow
from service.plans import notifiers as channels
from service.plans.notifiers import (
    Message,
    Notifier,
    NotifierError,
    Undeliverable,
    record,
    single_line,
)
from service.plans.slots import zone
from service.reps.service import personal_url
from service.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 500  # reminders handled per run; the next run carries on


def send_due(runtime: Runtime) -> dict[str, int]:
    """The periodic job: every organisation's due reminders queued and sent, each
    organisation on its own and within `job_org_budget_seconds`."""
    totals: Counter[str] = Counter()

    def one(org_id: int, notifiers: Sequence[Notifier]) -> dict[str, int]:
        until = jobs.deadline(runtime.settings.job_org_budget_seconds)
        with unit_of_work(runtime.sessions) as session:
            queue_due(session, runtime, notifiers, utcnow(), org_id=org_id)
        return deliver(runtime.sessions, runtime, notifiers, org_id=org_id, until=until)

    configured = channels.by_org(runtime.sessions, runtime.settings)
    for counts in jobs.each("reminders", configured, lambda o: one(o, configured[o])).values():
        totals.update(counts)
    return dict(totals)


def queue_due(
    session: Session,
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    now: datetime,
    *,
    org_id: int | None = None,
) -> int:
    """Queue stage-1 reminders for slots that have come, stage-2 ones for reps still not
    posted `second_reminder_after_minutes` after the first (in every organisation, or only
    `org_id`'s); returns rows queued."""
    if not notifiers:
        return 0
    settings = runtime.settings
    not_posted = (
        ~select(Copy.id)
        .where(
            Copy.post_id == PlanItem.post_id,
            Copy.rep_id == PlanItem.rep_id,
            Copy.posted_at.is_not(None),
        )
        .exists()
    )
    mine = PlanItem.org_id == org_id if org_id is not None else true()
    due: list[tuple[int, PlanItem]] = []
    first = select(PlanItem).where(
        mine,
        PlanItem.slot_at <= now,
        PlanItem.reminded_at.is_(None),
        not_posted,
        ~select(Reminder.id).where(Reminder.item_id == PlanItem.id, Reminder.stage == 1).exists(),
    )
    due += [(1, item) for item in session.scalars(first.limit(BATCH))]
    if settings.second_reminder_after_minutes > 0:
        later = now - timedelta(minutes=settings.second_reminder_after_minutes)
        second = select(PlanItem).where(
            mine,
            PlanItem.reminded_at <= later,
            PlanItem.second_reminded_at.is_(None),
            not_posted,
            ~select(Reminder.id)
            .where(Reminder.item_id == PlanItem.id, Reminder.stage == 2)
            .exists(),
        )
        due += [(2, item) for item in session.scalars(second.limit(BATCH))]
    reps = _reps(session, [item.rep_id for _, item in due])
    queued = 0
    for stage, item in due:
        message = _message(runtime, item, reps[item.rep_id], stage=stage, title="")
        for notifier in notifiers:
            if notifier.wants(message):
                session.add(
                    Reminder(
                        org_id=item.org_id,
                        item_id=item.id,
                        stage=stage,
                        channel=notifier.channel,
                        next_attempt_at=now,
                    )
                )
                queued += 1
    session.flush()
    return queued


def deliver(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    *,
    now: datetime | None = None,
    org_id: int | None = None,
    until: float | None = None,
) -> dict[str, int]:
    """Send the due pending reminders (of every organisation, or only `org_id`'s) in batches
    per (channel, post, stage), stopping at the monotonic time `until` (the rest stay due);
    returns counts of reminders sent, retried later and failed. A batch that fails in any way
    is recorded as that batch's failure: it never stops the others."""
    now = now or utcnow()
    settings = runtime.settings
    by_channel = {notifier.channel: notifier for notifier in notifiers}
    with unit_of_work(sessions) as session:
        rows: list[tuple[Reminder, PlanItem, str]] = [
            (reminder, item, title)
            for reminder, item, title in session.execute(
                select(Reminder, PlanItem, Post.title)
                .join(PlanItem, PlanItem.id == Reminder.item_id)
                .join(Post, Post.id == PlanItem.post_id)
                .where(Reminder.status == "pending", Reminder.next_attempt_at <= now)
                .where(Reminder.org_id == org_id if org_id is not None else true())
                .order_by(Reminder.channel, PlanItem.post_id, Reminder.stage, PlanItem.slot_at)
                .limit(BATCH)
            )
        ]
        reps = _reps(session, [item.rep_id for _, item, _ in rows])
        sent = _wecom_sent(session, now, org_id)
        budget = {"wecom": settings.wecom_messages_per_minute - sent}
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
            error, permanent = _send(runtime, notifier, batch, reps)
            if channel in budget:
                budget[channel] -= 1
            ids = [r.id for r, _, _ in batch]
            outcome = _record(sessions, ids, error, runtime, permanent=permanent)
            counts[outcome] += len(batch)
    return counts


def _send(
    runtime: Runtime,
    notifier: Notifier,
    batch: list[tuple[Reminder, PlanItem, str]],
    reps: dict[int, Rep],
) -> tuple[str | None, bool]:
    """Build and send one batch: (error or None, whether no retry can help)."""
    ids = [r.id for r, _, _ in batch]
    try:
        messages = [
            _message(runtime, item, reps[item.rep_id], stage=r.stage, title=title)
            for r, item, title in batch
        ]
        notifier.send(messages)
    except NotifierError as exc:
        log.warning("%s reminders %s failed: %s", notifier.channel, ids, exc)
        return str(exc), isinstance(exc, Undeliverable)
    except Exception as exc:  # bad stored data or a bug: this batch only, retried with backoff
        log.exception("%s reminders %s failed unexpectedly", notifier.channel, ids)
        return f"{exc.__class__.__name__}: {exc}", False
    return None, False


def _record(
    sessions: sessionmaker[Session],
    ids: list[int],
    error: str | None,
    runtime: Runtime,
    *,
    permanent: bool = False,
) -> str:
    settings = runtime.settings
    at = utcnow()
    with unit_of_work(sessions) as session:
        reminders = list(session.scalars(select(Reminder).where(Reminder.id.in_(ids))))
        items = {
            item.id: item
            for item in session.scalars(
                select(PlanItem).where(PlanItem.id.in_([r.item_id for r in reminders]))
            )
        }
        outcome = "sent"
        for reminder in reminders:
            result = record(reminder, error, settings, at, permanent=permanent)
            outcome = result if result != "sent" else outcome
            item = items[reminder.item_id]
            if result == "sent" and reminder.stage == 1 and item.reminded_at is None:
                item.reminded_at = at
            if result == "sent" and reminder.stage == 2 and item.second_reminded_at is None:
                item.second_reminded_at = at
    return outcome


def _wecom_sent(session: Session, now: datetime, org_id: int | None) -> int:
    """Robot messages sent in the last minute: the rows of one message share their sent_at."""
    query = select(func.count(func.distinct(Reminder.sent_at))).where(
        and_(Reminder.channel == "wecom", Reminder.sent_at > now - timedelta(minutes=1))
    )
    if org_id is not None:
        query = query.where(Reminder.org_id == org_id)
    return session.scalar(query) or 0


def _reps(session: Session, rep_ids: list[int]) -> dict[int, Rep]:
    if not rep_ids:
        return {}
    return {rep.id: rep for rep in session.scalars(select(Rep).where(Rep.id.in_(set(rep_ids))))}


def _message(runtime: Runtime, item: PlanItem, rep: Rep, *, stage: int, title: str) -> Message:
    tz = zone(rep.timezone) or ZoneInfo(runtime.settings.default_timezone)
    return Message(
        stage=stage,
        post_id=item.post_id,
        post_title=single_line(title),
        rep_id=rep.id,
        rep_name=single_line(rep.name),
        rep_team=single_line(rep.team),
        rep_phone=rep.phone,
        rep_email=rep.email,
        slot_local=item.slot_at.astimezone(tz).strftime("%H:%M"),
        slot_at=item.slot_at.isoformat(),
        url=personal_url(runtime, rep),
    )
