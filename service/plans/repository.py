"""SQL for plans and their items; every function is scoped to one organisation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Copy, Plan, PlanItem, Post, Reminder, Rep


def get(session: Session, *, org_id: int, post_id: int) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.org_id == org_id, Plan.post_id == post_id))


def has_item(session: Session, *, post_id: int, rep_id: int) -> bool:
    query = select(PlanItem.id).where(PlanItem.post_id == post_id, PlanItem.rep_id == rep_id)
    return session.scalar(query.limit(1)) is not None


def targeted_reps(session: Session, *, org_id: int, teams: Sequence[str]) -> list[Rep]:
    query = select(Rep).where(Rep.org_id == org_id, Rep.active.is_(True)).order_by(Rep.id)
    if teams:
        query = query.where(Rep.team.in_(teams))
    return list(session.scalars(query))


def known_teams(session: Session, *, org_id: int) -> set[str]:
    return set(session.scalars(select(Rep.team).where(Rep.org_id == org_id).distinct()))


def items_with_state(session: Session, *, org_id: int, post_id: int) -> list[tuple[Any, ...]]:
    """Each item with its rep, whether the copy exists, when it was posted, failed reminders."""
    failed = (
        select(func.count())
        .where(Reminder.item_id == PlanItem.id, Reminder.status == "failed")
        .correlate(PlanItem)
        .scalar_subquery()
    )
    query = (
        select(PlanItem, Rep.name, Rep.team, Copy.id.label("copy_id"), Copy.posted_at, failed)
        .join(Rep, Rep.id == PlanItem.rep_id)
        .outerjoin(Copy, (Copy.post_id == PlanItem.post_id) & (Copy.rep_id == PlanItem.rep_id))
        .where(PlanItem.org_id == org_id, PlanItem.post_id == post_id)
        .order_by(PlanItem.slot_at, PlanItem.rep_id)
    )
    return [tuple(row) for row in session.execute(query)]


def reps_without_copy(
    session: Session, *, org_id: int, post_id: int, limit: int | None = None
) -> list[int]:
    """The plan's reps with no copy yet, earliest slot first (at most `limit` of them)."""
    has_copy = select(Copy.id).where(Copy.post_id == post_id, Copy.rep_id == PlanItem.rep_id)
    query = (
        select(PlanItem.rep_id)
        .where(PlanItem.org_id == org_id, PlanItem.post_id == post_id, ~has_copy.exists())
        .order_by(PlanItem.slot_at, PlanItem.rep_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def open_plans(
    session: Session, *, now: datetime, org_id: int | None = None, missing_rep: Rep | None = None
) -> list[Plan]:
    """Plans whose window has not ended: across organisations (the enrolment job's view), or
    one organisation's that target `missing_rep` and have no item for them yet."""
    query = select(Plan).where(Plan.window_end > now).order_by(Plan.id)
    if org_id is not None:
        query = query.where(Plan.org_id == org_id)
    if missing_rep is None:
        return list(session.scalars(query))
    has_item = select(PlanItem.id).where(
        PlanItem.post_id == Plan.post_id, PlanItem.rep_id == missing_rep.id
    )
    plans = session.scalars(query.where(~has_item.exists()))
    return [plan for plan in plans if not plan.teams or missing_rep.team in plan.teams]


def unplanned_reps(
    session: Session, plan: Plan, *, after_rep_id: int = 0, limit: int | None = None
) -> list[Rep]:
    """Active reps the plan targets who have no item in it: they joined after publishing
    (by id, from `after_rep_id` on, at most `limit`: the enrolment job works in chunks)."""
    has_item = select(PlanItem.id).where(
        PlanItem.post_id == plan.post_id, PlanItem.rep_id == Rep.id
    )
    query = select(Rep).where(
        Rep.org_id == plan.org_id,
        Rep.active.is_(True),
        Rep.id > after_rep_id,
        ~has_item.exists(),
    )
    if plan.teams:
        query = query.where(Rep.team.in_(plan.teams))
    return list(session.scalars(query.order_by(Rep.id).limit(limit)))


def get_by_id(session: Session, *, org_id: int, plan_id: int) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.org_id == org_id, Plan.id == plan_id))


def unfinished_plans(session: Session) -> list[Plan]:
    """Plans whose copies are not all generated (across organisations: the sweeper's view)."""
    return list(session.scalars(select(Plan).where(Plan.copies_done_at.is_(None))))


def last_copy_at(session: Session, *, org_id: int, post_id: int) -> datetime | None:
    return session.scalar(
        select(func.max(Copy.created_at)).where(Copy.org_id == org_id, Copy.post_id == post_id)
    )


def rep_history(session: Session, *, org_id: int, rep_id: int) -> list[tuple[Any, ...]]:
    query = (
        select(PlanItem, Post.title, Copy.posted_at)
        .join(Post, Post.id == PlanItem.post_id)
        .outerjoin(Copy, (Copy.post_id == PlanItem.post_id) & (Copy.rep_id == PlanItem.rep_id))
        .where(PlanItem.org_id == org_id, PlanItem.rep_id == rep_id)
        .order_by(PlanItem.slot_at.desc())
    )
    return [tuple(row) for row in session.execute(query)]


def slots_for_rep(
    session: Session, *, org_id: int, rep_id: int, post_ids: Sequence[int]
) -> dict[int, datetime]:
    query = select(PlanItem.post_id, PlanItem.slot_at).where(
        PlanItem.org_id == org_id, PlanItem.rep_id == rep_id, PlanItem.post_id.in_(post_ids)
    )
    return {post_id: slot_at for post_id, slot_at in session.execute(query)}


def due_for_reminder(
    session: Session, *, org_id: int, stage: int, sent_before: datetime, limit: int
) -> list[tuple[PlanItem, Rep]]:
    """Items (with their rep) owed their reminder of `stage` and not posted: stage 1 once
    the slot is at or before `sent_before`, stage 2 once the first reminder is. Items that
    already have a reminder row of that stage are left out, so nothing is queued twice."""
    not_posted = ~(
        select(Copy.id)
        .where(
            Copy.post_id == PlanItem.post_id,
            Copy.rep_id == PlanItem.rep_id,
            Copy.posted_at.is_not(None),
        )
        .exists()
    )
    unqueued = ~(
        select(Reminder.id).where(Reminder.item_id == PlanItem.id, Reminder.stage == stage).exists()
    )
    if stage == 1:
        when = (PlanItem.slot_at <= sent_before, PlanItem.reminded_at.is_(None))
    else:
        when = (PlanItem.reminded_at <= sent_before, PlanItem.second_reminded_at.is_(None))
    query = (
        select(PlanItem, Rep)
        .join(Rep, Rep.id == PlanItem.rep_id)
        .where(PlanItem.org_id == org_id, *when, not_posted, unqueued)
        .limit(limit)
    )
    return [(item, rep) for item, rep in session.execute(query)]
