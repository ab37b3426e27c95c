"""Publishing with a plan, fanning copy generation out to workers, and reading progress.

The database is the record of what is done: a copy exists or it does not. Tasks only say
"make these reps' copies"; running one twice, or after a killed worker, makes nothing twice
(`ensure_copy` returns an existing copy), and the sweeper re-queues whatever is still
missing once a plan has made no progress for `sweep_stuck_seconds`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from service.copies.service import ensure_copy
from service.db import unit_of_work
from service.errors import Unprocessable
from service.models import Plan, PlanItem, Post, Rep, utcnow
from service.plans import repository
from service.plans.schemas import PlanItemRead, PlanRead, PublishRequest, RepHistoryItem
from service.plans.slots import QuietHours, SlotError, assign_slots, late_slot, zone
from service.posts import repository as posts_repository
from service.queue import enqueue
from service.reps import repository as reps_repository
from service.settings import Settings
from service.storage import Storage

log = logging.getLogger(__name__)

FAN_OUT_TASK = "copies.fan_out"  # queue generation of every missing copy of a plan, in chunks
GENERATE_TASK = "copies.generate"  # make the copies of a few reps (CPU queue)
MAX_WINDOW = timedelta(days=14)


def publish(
    session: Session,
    settings: Settings,
    post: Post,
    request: PublishRequest | None = None,
    *,
    now: datetime | None = None,
) -> Plan:
    """Publish once with a plan (slots for every targeted rep) and queue copy generation.
    Publishing again changes nothing and returns the existing plan."""
    existing = repository.get(session, org_id=post.org_id, post_id=post.id)
    if existing is not None:
        return existing
    request = request or PublishRequest()
    now = now or utcnow()
    default_tz = ZoneInfo(settings.default_timezone)
    start, end = _window(request, settings, default_tz, now)
    teams = sorted(set(request.teams or []))
    unknown = set(teams) - repository.known_teams(session, org_id=post.org_id)
    if unknown:
        raise Unprocessable(f"no such team: {', '.join(sorted(unknown))}", code="unknown_team")
    reps = repository.targeted_reps(session, org_id=post.org_id, teams=teams)
    try:
        quiet = QuietHours.parse(request.quiet_hours) if request.quiet_hours else None
        slots = assign_slots(
            [str(rep.id) for rep in reps],
            salt=f"{post.id}:{post.seed_salt}",
            start=start,
            end=end,
            quiet=quiet,
            timezones={str(rep.id): tz for rep in reps if (tz := _zone(rep)) is not None},
            default_tz=default_tz,
            max_share=settings.slot_max_share,
        )
    except SlotError as exc:
        raise Unprocessable(str(exc), code="bad_window") from None
    plan = Plan(
        org_id=post.org_id,
        post_id=post.id,
        window_start=start,
        window_end=end,
        quiet_hours=list(request.quiet_hours or []),
        teams=teams,
        dispatched_at=now,
    )
    session.add(plan)
    session.add_all(
        PlanItem(org_id=post.org_id, post_id=post.id, rep_id=rep.id, slot_at=slots[str(rep.id)])
        for rep in reps
    )
    post.published_at = now
    session.flush()
    enqueue(session, FAN_OUT_TASK, org_id=post.org_id, post_id=post.id)
    return plan


def _window(
    request: PublishRequest, settings: Settings, tz: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    start = _aware(request.window_start, tz) if request.window_start else now
    end = (
        _aware(request.window_end, tz)
        if request.window_end
        else max(start, now) + timedelta(minutes=settings.default_window_minutes)
    )
    if end <= now:
        raise Unprocessable("the window has already ended", code="bad_window")
    if end <= start:
        raise Unprocessable("window_end must be after window_start", code="bad_window")
    if end - start > MAX_WINDOW:
        raise Unprocessable("the window may be at most 14 days long", code="bad_window")
    # Nobody can post in the past: a window that has begun starts now (to the next minute).
    start = max(start, now.replace(second=0, microsecond=0) + timedelta(minutes=1))
    return start, max(end, start + timedelta(minutes=1))


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def _zone(rep: Rep) -> ZoneInfo | None:
    tz = zone(rep.timezone)
    if tz is None and rep.timezone:
        log.warning("rep %s has an unknown timezone %r; using the default", rep.id, rep.timezone)
    return tz


def read(session: Session, post: Post) -> PlanRead | None:
    plan = repository.get(session, org_id=post.org_id, post_id=post.id)
    if plan is None:
        return None
    items = [
        PlanItemRead(
            rep_id=item.rep_id,
            rep_name=name,
            team=team,
            slot_at=item.slot_at,
            copy_ready=copy_id is not None,
            reminded_at=item.reminded_at,
            second_reminded_at=item.second_reminded_at,
            posted_at=posted_at,
            reminder_failed=failed > 0,
        )
        for item, name, team, copy_id, posted_at, failed in repository.items_with_state(
            session, org_id=post.org_id, post_id=post.id
        )
    ]
    posted = sum(item.posted_at is not None for item in items)
    return PlanRead(
        post_id=post.id,
        window_start=plan.window_start,
        window_end=plan.window_end,
        quiet_hours=list(plan.quiet_hours),
        teams=list(plan.teams),
        reps=len(items),
        copies_ready=sum(item.copy_ready for item in items),
        reminded=sum(item.reminded_at is not None for item in items),
        posted=posted,
        execution_rate=round(posted / len(items), 4) if items else 0.0,
        reminders_failed=sum(item.reminder_failed for item in items),
        items=items,
    )


def rep_history(session: Session, rep: Rep) -> list[RepHistoryItem]:
    return [
        RepHistoryItem(
            post_id=item.post_id,
            title=title,
            slot_at=item.slot_at,
            reminded_at=item.reminded_at,
            posted_at=posted_at,
        )
        for item, title, posted_at in repository.rep_history(
            session, org_id=rep.org_id, rep_id=rep.id
        )
    ]


def fan_out(session: Session, settings: Settings, *, org_id: int, post_id: int) -> int:
    """Queue generation of every copy the plan still misses, `fanout_chunk_size` reps per
    task; returns how many reps were queued."""
    plan = repository.get(session, org_id=org_id, post_id=post_id)
    if plan is None or plan.copies_done_at is not None:
        return 0
    missing = repository.reps_without_copy(session, org_id=org_id, post_id=post_id)
    size = max(1, settings.fanout_chunk_size)
    for first in range(0, len(missing), size):
        rep_ids = missing[first : first + size]
        enqueue(session, GENERATE_TASK, org_id=org_id, post_id=post_id, rep_ids=rep_ids)
    plan.dispatched_at = utcnow()
    if not missing:
        plan.copies_done_at = utcnow()
    return len(missing)


def generate(
    sessions: sessionmaker[Session],
    storage: Storage,
    *,
    org_id: int,
    post_id: int,
    rep_ids: list[int],
) -> int:
    """Make the copies of `rep_ids` (one commit each, so progress shows and a killed worker
    loses at most one); returns how many were made now."""
    made = 0
    for rep_id in rep_ids:
        with unit_of_work(sessions) as session:
            post = posts_repository.get(session, org_id=org_id, post_id=post_id)
            rep = reps_repository.get(session, org_id=org_id, rep_id=rep_id)
            if post is None or rep is None:
                continue  # deleted since it was queued
            before = utcnow()
            copy = ensure_copy(session, storage, post=post, rep=rep)
            made += copy.created_at >= before
    with unit_of_work(sessions) as session:
        plan = repository.get(session, org_id=org_id, post_id=post_id)
        if (
            plan is not None
            and plan.copies_done_at is None
            and not repository.reps_without_copy(session, org_id=org_id, post_id=post_id)
        ):
            plan.copies_done_at = utcnow()
    return made


def enrol_late_reps(
    sessions: sessionmaker[Session], settings: Settings, *, now: datetime | None = None
) -> int:
    """Give reps who joined after a post was published a slot in what is left of its window
    (so they are reminded like everyone else) and queue their copies; returns reps enrolled.
    A rep whose remaining window lies wholly in quiet hours gets no slot; their copy is still
    made on first open."""
    now = now or utcnow()
    enrolled = 0
    with unit_of_work(sessions) as session:
        for plan in repository.open_plans(session, now=now):
            added = _enrol(session, settings, plan, repository.unplanned_reps(session, plan), now)
            if added:
                fan_out(session, settings, org_id=plan.org_id, post_id=plan.post_id)
            enrolled += added
    return enrolled


def enrol_rep(
    session: Session, settings: Settings, rep: Rep, *, now: datetime | None = None
) -> int:
    """The same for one rep as their page opens, so a rep who joined a minute ago already sees
    the running campaigns and their times (the page makes their copies there and then)."""
    now = now or utcnow()
    return sum(
        _enrol(session, settings, plan, [rep], now)
        for plan in repository.open_plans(session, now=now, org_id=rep.org_id, missing_rep=rep)
    )


def targets(session: Session, post: Post, rep: Rep, *, now: datetime | None = None) -> bool:
    """Whether `post` is the rep's to see and post: its plan has an item for the rep, or the
    plan is still open and its teams include the rep (enrol_rep would add them), or the post
    was published before plans existed. Read-only: safe on every request of a rep's link."""
    plan = repository.get(session, org_id=post.org_id, post_id=post.id)
    if plan is None:
        return True
    if repository.has_item(session, post_id=post.id, rep_id=rep.id):
        return True
    now = now or utcnow()
    return rep.active and plan.window_end > now and (not plan.teams or rep.team in plan.teams)


def _enrol(session: Session, settings: Settings, plan: Plan, reps: list[Rep], now: datetime) -> int:
    if not reps:
        return 0
    start = max(plan.window_start, now.replace(second=0, microsecond=0) + timedelta(minutes=1))
    quiet = QuietHours.parse(plan.quiet_hours) if plan.quiet_hours else None
    post = posts_repository.get(session, org_id=plan.org_id, post_id=plan.post_id)
    salt = f"{plan.post_id}:{post.seed_salt if post else ''}"
    default_tz = ZoneInfo(settings.default_timezone)
    added = 0
    for rep in reps:
        tz = _zone(rep) or default_tz
        slot = late_slot(
            str(rep.id), salt=salt, start=start, end=plan.window_end, quiet=quiet, tz=tz
        )
        if slot is not None:
            session.add(
                PlanItem(org_id=plan.org_id, post_id=plan.post_id, rep_id=rep.id, slot_at=slot)
            )
            added += 1
    if added:
        plan.copies_done_at = None  # the new items have no copy yet
        session.flush()
    return added


def sweep(
    sessions: sessionmaker[Session], settings: Settings, *, now: datetime | None = None
) -> int:
    """Re-queue the missing copies of plans that made no progress for `sweep_stuck_seconds`
    (a worker killed mid-task, a message lost with the broker); returns plans re-queued."""
    now = now or utcnow()
    stuck_before = now - timedelta(seconds=settings.sweep_stuck_seconds)
    requeued = 0
    with unit_of_work(sessions) as session:
        for plan in repository.unfinished_plans(session):
            last = repository.last_copy_at(session, org_id=plan.org_id, post_id=plan.post_id)
            if max(plan.dispatched_at or plan.created_at, last or plan.created_at) > stuck_before:
                continue
            if fan_out(session, settings, org_id=plan.org_id, post_id=plan.post_id):
                log.warning("plan for post %s made no progress; re-queued", plan.post_id)
                requeued += 1
    return requeued
