"""Every query of the notifications: the queued reminders and alerts, what they are about, and
the organisations whose channels send them. Each is scoped to one organisation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from service.models import Organisation, PlanItem, Post, Reminder, Rep, RepAlert
from service.models.tracking import Viewer


def organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def add_reminders(session: Session, reminders: Iterable[Reminder]) -> None:
    session.add_all(reminders)
    session.flush()


def pending_reminders(
    session: Session, *, org_id: int, now: datetime, limit: int
) -> list[tuple[Reminder, PlanItem, str, Rep]]:
    """Due pending reminders with their item, post title and rep, in send order: by channel,
    post and stage (what one robot message can carry), then slot."""
    query = (
        select(Reminder, PlanItem, Post.title, Rep)
        .join(PlanItem, PlanItem.id == Reminder.item_id)
        .join(Post, Post.id == PlanItem.post_id)
        .join(Rep, Rep.id == PlanItem.rep_id)
        .where(Reminder.org_id == org_id, Reminder.status == "pending")
        .where(Reminder.next_attempt_at <= now)
        .order_by(Reminder.channel, PlanItem.post_id, Reminder.stage, PlanItem.slot_at)
        .limit(limit)
    )
    return [(r, item, title, rep) for r, item, title, rep in session.execute(query)]


def reminders_with_items(
    session: Session, *, org_id: int, ids: Sequence[int]
) -> list[tuple[Reminder, PlanItem]]:
    query = (
        select(Reminder, PlanItem)
        .join(PlanItem, PlanItem.id == Reminder.item_id)
        .where(Reminder.org_id == org_id, Reminder.id.in_(ids))
    )
    return [(reminder, item) for reminder, item in session.execute(query)]


def robot_messages_since(session: Session, *, org_id: int, since: datetime) -> int:
    """Robot messages sent since `since`: the rows of one message share their sent_at."""
    query = select(func.count(func.distinct(Reminder.sent_at))).where(
        Reminder.org_id == org_id, Reminder.channel == "wecom", Reminder.sent_at > since
    )
    return session.scalar(query) or 0


def alerted(session: Session, *, org_id: int, viewer_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(viewer id, tag) of the alerts that exist for these viewers."""
    query = select(RepAlert.viewer_id, RepAlert.tag).where(
        RepAlert.org_id == org_id, RepAlert.viewer_id.in_(set(viewer_ids))
    )
    return {(viewer_id, tag) for viewer_id, tag in session.execute(query)}


def first_reps(session: Session, *, org_id: int, viewer_ids: Iterable[int]) -> dict[int, int]:
    """{viewer id: the rep who brought them}, for viewers a rep brought."""
    query = select(Viewer.id, Viewer.first_rep_id).where(
        Viewer.org_id == org_id, Viewer.id.in_(set(viewer_ids))
    )
    return {viewer_id: rep_id for viewer_id, rep_id in session.execute(query) if rep_id is not None}


def add_alerts(session: Session, rows: Sequence[dict[str, Any]], *, batch: int) -> None:
    # Plain rows, not ORM objects: during a busy day most readers cross a tier, and an
    # object each would sit in the session until the tag job commits.
    for start in range(0, len(rows), batch):
        session.execute(insert(RepAlert), rows[start : start + batch])


def pending_alerts(
    session: Session, *, org_id: int, now: datetime, limit: int
) -> list[tuple[RepAlert, Rep, str | None]]:
    query = (
        select(RepAlert, Rep, Viewer.label)
        .join(Rep, Rep.id == RepAlert.rep_id)
        .join(Viewer, Viewer.id == RepAlert.viewer_id)
        .where(RepAlert.org_id == org_id, RepAlert.status == "pending")
        .where(RepAlert.next_attempt_at <= now)
        .order_by(RepAlert.id)
        .limit(limit)
    )
    return [(alert, rep, label) for alert, rep, label in session.execute(query)]


def get_alert(session: Session, *, org_id: int, alert_id: int) -> RepAlert | None:
    alert = session.get(RepAlert, alert_id)
    return alert if alert is not None and alert.org_id == org_id else None


def alerts_for_rep(session: Session, *, org_id: int, rep_id: int, limit: int) -> list[RepAlert]:
    query = (
        select(RepAlert)
        .where(RepAlert.org_id == org_id, RepAlert.rep_id == rep_id)
        .order_by(RepAlert.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
