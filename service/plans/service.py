"""Publishing with a plan, fanning copy generation out to workers, and reading progress.

The database is the record of what is done: a copy exists or it does not. Tasks only say
"make these reps' copies"; running one twice, or after a killed worker, makes nothing twice
(`ensure_copy` returns an existing copy), and the sweeper re-queues whatever is still
missing once a plan has made no progress for `sweep_stuck_seconds`.

Nothing one organisation does may hold the shared queues: a fan-out queues at most
`fanout_reps_per_run` reps of a plan, and the last chunk queues the next fan-out when it is
done (so other plans' copies take turns in the queue); the enrolment job gives one
organisation at most `enrol_items_per_run` items, within `job_org_budget_seconds`, per run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from service import jobs
from service.copies.service import ensure_copy
from service.db import unit_of_work
from service.errors import Unprocessable
from service.models import Plan, PlanItem, Post, Rep, utcnow
from service.plans import repository
from service.plans.schemas import PlanItemRead, PlanRead, PublishRequest, RepHistoryItem
from service.plans.slots import QuietHours, SlotError, assign_slots, late_slot
from service.posts import repository as posts_repository
from service.queue import enqueue
from service.reps import repository as reps_repository
from service.settings import Settings
from service.storage import Storage
from service.timezones import zone

log = logging.getLogger(__name__)

FAN_OUT_TASK = "copies.fan_out"  # queue generation of every missing copy of a plan, in chunks
GENERATE_TASK = "copies.generate"  # make the copies of a few reps (CPU queue)
MAX_WINDOW = timedelta(days=14)
ENROL_CHUNK = 200  # late reps per unit of work: the time budget is checked between chunks


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
    log.info(
        "published post %s to %d reps",
        post.id,
        len(reps),
        extra={"org_id": post.org_id, "window": f"{start.isoformat()}/{end.isoformat()}"},
    )
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
    """Queue generation of the copies the plan still misses, earliest slots first, at most
    `fanout_reps_per_run` reps in tasks of `fanout_chunk_size`; when more are missing, the
    last task queues the next fan-out once it is done. Returns how many reps were queued."""
    plan = repository.get(session, org_id=org_id, post_id=post_id)
    if plan is None or plan.copies_done_at is not None:
        return 0
    most = max(1, settings.fanout_reps_per_run)
    missing = repository.reps_without_copy(session, org_id=org_id, post_id=post_id, limit=most + 1)
    todo, more = missing[:most], len(missing) > most
    size = max(1, settings.fanout_chunk_size)
    for first in range(0, len(todo), size):
        rep_ids = todo[first : first + size]
        last = first + size >= len(todo)
        kwargs = {"more": True} if more and last else {}
        enqueue(session, GENERATE_TASK, org_id=org_id, post_id=post_id, rep_ids=rep_ids, **kwargs)
    plan.dispatched_at = utcnow()
    if not missing:
        plan.copies_done_at = utcnow()
    log.info(
        "fan-out of post %s: %d copies queued in %d tasks%s",
        post_id,
        len(todo),
        -(-len(todo) // size),
        " (more to follow)" if more else "",
        extra={"org_id": org_id},
    )
    return len(todo)


def generate(
    sessions: sessionmaker[Session],
    storage: Storage,
    *,
    org_id: int,
    post_id: int,
    rep_ids: list[int],
    more: bool = False,
) -> int:
    """Make the copies of `rep_ids` (one commit each, so progress shows and a killed worker
    loses at most one; one rep's failure is logged and the others are made); `more`: the
    fan-out left reps unqueued, so queue the next one. Returns how many were made now."""
    made = sum(
        jobs.each(
            f"copies of post {post_id}",
            rep_ids,
            lambda rep_id: _make_copy(sessions, storage, org_id, post_id, rep_id),
            backoff=False,
        ).values()
    )
    log.info("post %s: %d of %d copies made", post_id, made, len(rep_ids), extra={"org_id": org_id})
    with unit_of_work(sessions) as session:
        plan = repository.get(session, org_id=org_id, post_id=post_id)
        if plan is None or plan.copies_done_at is not None:
            return made
        left = repository.reps_without_copy(session, org_id=org_id, post_id=post_id, limit=1)
        if not left:
            plan.copies_done_at = utcnow()
            log.info("post %s: every copy made", post_id, extra={"org_id": org_id})
        elif more and made:  # made: a chunk that only fails leaves the rest to the sweeper
            enqueue(session, FAN_OUT_TASK, org_id=org_id, post_id=post_id)
    return made


def _make_copy(
    sessions: sessionmaker[Session], storage: Storage, org_id: int, post_id: int, rep_id: int
) -> int:
    with unit_of_work(sessions) as session:
        post = posts_repository.get(session, org_id=org_id, post_id=post_id)
        rep = reps_repository.get(session, org_id=org_id, rep_id=rep_id)
        if post is None or rep is None:
            return 0  # deleted since it was queued
        before = utcnow()
        copy = ensure_copy(session, storage, post=post, rep=rep)
        return int(copy.created_at >= before)


def enrol_late_reps(
    sessions: sessionmaker[Session], settings: Settings, *, now: datetime | None = None
) -> int:
    """Give reps who joined after a post was published a slot in what is left of its window
    (so they are reminded like everyone else) and queue their copies; returns reps enrolled.
    A rep whose remaining window lies wholly in quiet hours gets no slot; their copy is still
    made on first open. Each organisation on its own, at most `enrol_items_per_run` items
    within `job_org_budget_seconds`: the rest is enrolled by the next runs."""
    now = now or utcnow()
    with sessions() as session:
        plans: dict[int, list[int]] = {}
        for plan in repository.open_plans(session, now=now):
            plans.setdefault(plan.org_id, []).append(plan.id)
    done = jobs.each(
        "enrol_late_reps",
        plans,
        lambda org_id: _enrol_org(sessions, settings, org_id, plans[org_id], now),
    )
    return sum(done.values())


def _enrol_org(
    sessions: sessionmaker[Session],
    settings: Settings,
    org_id: int,
    plan_ids: list[int],
    now: datetime,
) -> int:
    until = jobs.deadline(settings.job_org_budget_seconds)
    left, enrolled = settings.enrol_items_per_run, 0
    for plan_id in plan_ids:
        if left <= 0 or jobs.past(until):
            break
        added = _enrol_plan(sessions, settings, org_id, plan_id, now, most=left, until=until)
        if added:  # once per plan and run: the fan-out continues by itself from there
            with unit_of_work(sessions) as session:
                plan = repository.get_by_id(session, org_id=org_id, plan_id=plan_id)
                if plan is not None:
                    fan_out(session, settings, org_id=org_id, post_id=plan.post_id)
        enrolled, left = enrolled + added, left - added
    return enrolled


def _enrol_plan(
    sessions: sessionmaker[Session],
    settings: Settings,
    org_id: int,
    plan_id: int,
    now: datetime,
    *,
    most: int,
    until: float,
) -> int:
    """Up to `most` of the plan's late reps, ENROL_CHUNK per unit of work, until `until`."""
    added, after = 0, 0  # a cursor: reps with no slot (quiet hours) are not read twice
    while added < most and not jobs.past(until):
        with unit_of_work(sessions) as session:
            plan = repository.get_by_id(session, org_id=org_id, plan_id=plan_id)
            if plan is None:
                return added
            chunk = min(most - added, ENROL_CHUNK)
            reps = repository.unplanned_reps(session, plan, after_rep_id=after, limit=chunk)
            added += _enrol(session, settings, plan, reps, now)
        if len(reps) < chunk:
            break
        after = reps[-1].id
    return added


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


def slots_for_rep(
    session: Session, *, org_id: int, rep_id: int, post_ids: Sequence[int]
) -> dict[int, datetime]:
    """Each post's suggested posting time for the rep (posts without a plan item: absent)."""
    return repository.slots_for_rep(session, org_id=org_id, rep_id=rep_id, post_ids=post_ids)


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
    with sessions() as session:
        todo = [(plan.org_id, plan.post_id) for plan in repository.unfinished_plans(session)]

    def one(key: tuple[int, int]) -> bool:
        org_id, post_id = key
        with unit_of_work(sessions) as session:
            plan = repository.get(session, org_id=org_id, post_id=post_id)
            if plan is None or plan.copies_done_at is not None:
                return False
            last = repository.last_copy_at(session, org_id=org_id, post_id=post_id)
            if max(plan.dispatched_at or plan.created_at, last or plan.created_at) > stuck_before:
                return False
            if not fan_out(session, settings, org_id=org_id, post_id=post_id):
                return False
        log.warning("plan for post %s made no progress; re-queued", post_id)
        return True

    return sum(jobs.each("plans.sweep", todo, one).values())
