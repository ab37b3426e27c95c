"""The notifications' front door: the domains enqueue (plans: reminders; tracking: read
alerts), the periodic jobs deliver, each organisation on its own (service.jobs) and within
`job_org_budget_seconds`."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from service import jobs
from service.db import unit_of_work
from service.models import PlanItem, Reminder, Rep, RepAlert, utcnow
from service.notifications import repository
from service.notifications.delivery import (
    ALERT_BATCH,
    deliver_alerts,
    deliver_reminders,
    recipient,
)
from service.notifications.notifiers import Notifier, for_org
from service.runtime import Runtime

log = logging.getLogger(__name__)
Channels = dict[int, list[Notifier]]  # {organisation id: its notifiers}


@dataclass(frozen=True)
class DueReminder:
    """A plan item whose reminder of `stage` is due (decided by service.plans.reminders)."""

    item: PlanItem
    rep: Rep
    stage: int


def channels(runtime: Runtime) -> Channels:
    """Every organisation's notifiers. One whose stored channels cannot be built is logged
    and left out of this run; the others are not."""
    with unit_of_work(runtime.sessions) as session:
        orgs = repository.organisations(session)
    built = {}
    for org in orgs:
        try:
            built[org.id] = for_org(runtime.settings, org)
        except Exception:
            log.exception("organisation %s: its reminder channels cannot be used", org.id)
    return built


def enqueue_reminders(
    session: Session,
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    due: Iterable[DueReminder],
    *,
    now: datetime,
) -> int:
    """A pending reminder per due item and channel that wants its rep; returns how many.
    (item, stage, channel) is unique: what was queued once is never queued twice."""
    rows = [
        Reminder(
            org_id=d.item.org_id,
            item_id=d.item.id,
            stage=d.stage,
            channel=notifier.channel,
            next_attempt_at=now,
        )
        for d in due
        for notifier in notifiers
        if notifier.wants(recipient(runtime, d.rep))
    ]
    repository.add_reminders(session, rows)
    return len(rows)


def enqueue_alerts(
    session: Session, *, org_id: int, crossings: Iterable[tuple[int, str, str]]
) -> int:
    """A pending alert, to the rep who brought the viewer, per (viewer id, tier tag,
    evidence) not alerted before; returns how many."""
    found = list(crossings)
    if not found:
        return 0
    viewer_ids = {viewer_id for viewer_id, _, _ in found}
    known = repository.alerted(session, org_id=org_id, viewer_ids=viewer_ids)
    reps = repository.first_reps(session, org_id=org_id, viewer_ids=viewer_ids)
    now = utcnow()
    rows = [
        {
            "org_id": org_id,
            "rep_id": reps[viewer_id],
            "viewer_id": viewer_id,
            "tag": tag,
            "evidence": evidence,
            "next_attempt_at": now,
        }
        for viewer_id, tag, evidence in found
        if viewer_id in reps and (viewer_id, tag) not in known
    ]
    repository.add_alerts(session, rows, batch=ALERT_BATCH)
    return len(rows)


def alerts_for_rep(session: Session, *, org_id: int, rep_id: int, limit: int = 5) -> list[RepAlert]:
    """The rep's newest alerts, for the top of their page."""
    return repository.alerts_for_rep(session, org_id=org_id, rep_id=rep_id, limit=limit)


def deliver_due_reminders(runtime: Runtime, configured: Channels) -> dict[str, int]:
    """The reminder job's sending half: every organisation's due reminders."""

    def one(org_id: int) -> dict[str, int]:
        until = jobs.deadline(runtime.settings.job_org_budget_seconds)
        notifiers = configured[org_id]
        return deliver_reminders(runtime.sessions, runtime, notifiers, org_id=org_id, until=until)

    return _total(jobs.each("reminders", configured, one).values())


def deliver_due_alerts(runtime: Runtime, configured: Channels) -> dict[str, int]:
    """The alert job: every organisation's due alerts."""

    def one(org_id: int) -> dict[str, int]:
        until = jobs.deadline(runtime.settings.job_org_budget_seconds)
        notifiers = configured[org_id]
        return deliver_alerts(runtime.sessions, runtime, notifiers, org_id=org_id, until=until)

    return _total(jobs.each("alerts", configured, one).values())


def _total(results: Iterable[dict[str, int]]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for counts in results:
        totals.update(counts)
    return dict(totals)
