"""Rep alerts: when a viewer a rep brought reaches a read-time tier, the rep sees it at the top
of their page and is told through the scheduler's notifiers (service/plans/notifiers.py).

The tag job calls `record_crossings` with what it computed; an alert exists once per (viewer,
tier), so recomputing never alerts twice. `deliver` runs in the periodic job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select, true
from sqlalchemy.orm import Session, sessionmaker

from service.db import unit_of_work
from service.models import Rep, RepAlert, utcnow
from service.models.tracking import Viewer
from service.plans.notifiers import ALERT, Message, Notifier, NotifierError, record
from service.reps.service import personal_url
from service.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 200


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
) -> dict[str, int]:
    """Send due pending alerts, one message per alert and notifier; counts by outcome."""
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
        messages = {
            alert.id: _message(runtime, alert, rep, label or f"读者 #{alert.viewer_id}")
            for alert, rep, label in due
        }
    for alert, _, _ in due:
        message = messages[alert.id]
        wanted = [n for n in notifiers if n.wants(message)]
        errors = []
        for notifier in wanted:
            try:
                notifier.send([message])
            except NotifierError as exc:
                errors.append(f"{notifier.channel}: {exc}")
        outcome = _record(sessions, alert.id, errors, delivered=bool(wanted), runtime=runtime)
        counts[outcome] += 1
    return counts


def _record(
    sessions: sessionmaker[Session],
    alert_id: int,
    errors: list[str],
    *,
    delivered: bool,
    runtime: Runtime,
) -> str:
    settings = runtime.settings
    with unit_of_work(sessions) as session:
        alert = session.get(RepAlert, alert_id)
        assert alert is not None
        if not delivered:
            alert.status = "none"
            return "none"
        return record(alert, "; ".join(errors) or None, settings, utcnow())


def _message(runtime: Runtime, alert: RepAlert, rep: Rep, label: str) -> Message:
    return Message(
        stage=ALERT,
        post_id=0,
        post_title="",
        rep_id=rep.id,
        rep_name=rep.name,
        rep_team=rep.team,
        rep_phone=rep.phone,
        rep_email=rep.email,
        slot_local="",
        slot_at="",
        url=personal_url(runtime, rep),
        note=f"{label} {alert.tag}：{alert.evidence}",
    )
