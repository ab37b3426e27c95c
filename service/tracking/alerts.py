"""Rep alerts: when a viewer a rep brought reaches a read-time tier, the rep sees it at the top
of their page and is told through the scheduler's notifiers (service/plans/notifiers.py).

The tag job calls `record_crossings` with what it computed; an alert exists once per (viewer,
tier), so recomputing never alerts twice. `send_due` is the periodic job: each
organisation on its own (service.jobs), within a time budget.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select, true
from sqlalchemy.orm import Session, sessionmaker

from service import jobs
from service.db import unit_of_work
from service.models import Rep, RepAlert, utcnow
from service.models.tracking import Viewer
from service.plans import notifiers as channels
from service.plans.notifiers import (
    ALERT,
    Message,
    Notifier,
    NotifierError,
    Undeliverable,
    record,
    single_line,
)
from service.reps.service import personal_url
from service.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 200


def send_due(runtime: Runtime) -> dict[str, int]:
    """The periodic job: every organisation's due alerts, each organisation on its own and
    within `job_org_budget_seconds`."""
    totals: Counter[str] = Counter()
    configured = channels.by_org(runtime.sessions, runtime.settings)

    def one(org_id: int) -> dict[str, int]:
        until = jobs.deadline(runtime.settings.job_org_budget_seconds)
        return deliver(runtime.sessions, runtime, configured[org_id], org_id=org_id, until=until)

    for counts in jobs.each("alerts", configured, one).values():
        totals.update(counts)
    return dict(totals)


def record_crossings(
    session: Session, *, org_id: int, tiers: Iterable[tuple[int, str, str]]
) -> int:
    """New alerts for (viewer id, tier tag, evidence) not alerted before; returns how many."""
    found = list(tiers)
    if not found:
        return 0
    viewer_ids = {viewer_id for viewer_id, _, _ in found}
    known = {
        (viewer_id, tag)
        for viewer_id, tag in session.execute(
            select(RepAlert.viewer_id, RepAlert.tag).where(
                RepAlert.org_id == org_id, RepAlert.viewer_id.in_(viewer_ids)
            )
        )
    }
    reps = {
        viewer_id: rep_id
        for viewer_id, rep_id in session.execute(
            select(Viewer.id, Viewer.first_rep_id).where(
                Viewer.org_id == org_id, Viewer.id.in_(viewer_ids)
            )
        )
    }
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
        if reps.get(viewer_id) is not None and (viewer_id, tag) not in known
    ]
    # Plain rows, not ORM objects: during a busy day most readers cross a tier, and an
    # object each would sit in the session until the tag job commits.
    for start in range(0, len(rows), BATCH):
        session.execute(insert(RepAlert), rows[start : start + BATCH])
    return len(rows)


def for_rep(session: Session, *, org_id: int, rep_id: int, limit: int = 5) -> list[RepAlert]:
    """The rep's newest alerts, for the top of their page."""
    query = (
        select(RepAlert)
        .where(RepAlert.org_id == org_id, RepAlert.rep_id == rep_id)
        .order_by(RepAlert.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def deliver(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    *,
    now: datetime | None = None,
    org_id: int | None = None,
    until: float | None = None,
) -> dict[str, int]:
    """Send due pending alerts, one message per alert and notifier, until the monotonic
    time `until`; counts by outcome. One alert's failure, of any kind, is that alert's."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0, "none": 0}
    with unit_of_work(sessions) as session:
        due: list[tuple[RepAlert, Rep, str | None]] = [
            (alert, rep, label)
            for alert, rep, label in session.execute(
                select(RepAlert, Rep, Viewer.label)
                .join(Rep, Rep.id == RepAlert.rep_id)
                .join(Viewer, Viewer.id == RepAlert.viewer_id)
                .where(RepAlert.status == "pending", RepAlert.next_attempt_at <= now)
                .where(RepAlert.org_id == org_id if org_id is not None else true())
                .order_by(RepAlert.id)
                .limit(BATCH)
            )
        ]
    for alert, rep, label in due:
        if jobs.past(until):
            break  # this organisation's share of the run is used up; the rest stay due
        wanted, errors, permanent = _send(runtime, notifiers, alert, rep, label)
        outcome = _record(
            sessions, alert.id, errors, delivered=wanted, runtime=runtime, permanent=permanent
        )
        counts[outcome] += 1
    return counts


def _send(
    runtime: Runtime,
    notifiers: Sequence[Notifier],
    alert: RepAlert,
    rep: Rep,
    label: str | None,
) -> tuple[bool, list[str], bool]:
    """(whether any notifier wanted it, the errors, whether no retry can help any of them)."""
    try:
        message = _message(runtime, alert, rep, label or f"读者 #{alert.viewer_id}")
        wanted = [n for n in notifiers if n.wants(message)]
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


def _record(
    sessions: sessionmaker[Session],
    alert_id: int,
    errors: list[str],
    *,
    delivered: bool,
    runtime: Runtime,
    permanent: bool = False,
) -> str:
    settings = runtime.settings
    with unit_of_work(sessions) as session:
        alert = session.get(RepAlert, alert_id)
        assert alert is not None
        if not delivered:
            alert.status = "none"
            return "none"
        error = "; ".join(errors) or None
        return record(alert, error, settings, utcnow(), permanent=permanent)


def _message(runtime: Runtime, alert: RepAlert, rep: Rep, label: str) -> Message:
    return Message(
        stage=ALERT,
        post_id=0,
        post_title="",
        rep_id=rep.id,
        rep_name=single_line(rep.name),
        rep_team=single_line(rep.team),
        rep_phone=rep.phone,
        rep_email=rep.email,
        slot_local="",
        slot_at="",
        url=personal_url(runtime, rep),
        note=single_line(f"{label} {alert.tag}：{alert.evidence}"),
    )
