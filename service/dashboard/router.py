"""Dashboard API: JSON behind every page, and a CSV of every table. Staff of the
organisation only; ids of another organisation's posts or viewers are 404. The viewer list
and detail are the viewer API's (`/api/viewers`, service/tracking/router.py), which also
answers their old paths here, `/api/dashboard/viewers…`, as deprecated aliases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from service.access import DashboardReader
from service.dashboard import export, service, viewers
from service.dashboard.schemas import Campaign, Leaderboard, PostDashboard
from service.deps import SessionDep
from service.errors import NotFound
from service.models import Staff
from service.posts.deps import PostDep
from service.routing import CredentialsFirst
from service.tracking.deps import SeenDays, ViewerTags
from service.tracking.schemas import ViewerRead
from service.web import CHINA

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"], route_class=CredentialsFirst)


def day_start(day: date | None) -> datetime | None:
    """Days are China days: a manager's "11月30日" starts at midnight in Beijing. In UTC,
    because SQLite compares the stored (UTC) times as text."""
    return None if day is None else datetime.combine(day, time(), tzinfo=CHINA).astimezone(UTC)


def period(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """`until` is inclusive: the whole of that day counts."""
    return day_start(since), day_start(until + timedelta(days=1) if until else None)


Since = Annotated[date | None, Query(description="first day (China time), YYYY-MM-DD")]
Until = Annotated[date | None, Query(description="last day, inclusive")]
Team = Annotated[str | None, Query(max_length=100)]
Sort = Annotated[str, Query(description="execution | views | engaged")]


def _campaign(
    staff: Staff, session: SessionDep, since: Since, until: Until, team: Team
) -> Campaign:
    start, end = period(since, until)
    return service.campaign(session, org_id=staff.org_id, since=start, until=end, team=team)


@router.get("/campaign")
def campaign(
    staff: DashboardReader,
    session: SessionDep,
    since: Since = None,
    until: Until = None,
    team: Team = None,
) -> Campaign:
    """Published posts of the period with their funnels (`team`: that team's reps only)."""
    return _campaign(staff, session, since, until, team)


@router.get("/campaign.csv", response_class=Response)
def campaign_csv(
    staff: DashboardReader,
    session: SessionDep,
    since: Since = None,
    until: Until = None,
    team: Team = None,
) -> Response:
    return export.campaign(_campaign(staff, session, since, until, team))


@router.get("/posts/{post_id}")
def post_detail(staff: DashboardReader, post: PostDep, session: SessionDep) -> PostDashboard:
    return service.post(session, post)[0]


@router.get("/posts/{post_id}/reps.csv", response_class=Response)
def post_reps_csv(staff: DashboardReader, post: PostDep, session: SessionDep) -> Response:
    return export.rep_table(service.post(session, post)[0])


@router.get("/segments")
def segment(
    staff: DashboardReader,
    session: SessionDep,
    tags: ViewerTags = [],  # noqa: B006
    days: SeenDays = None,
) -> list[ViewerRead]:
    """Viewers with every one of `tag` (repeat it), seen in the last `days`."""
    return viewers.segment(session, org_id=staff.org_id, tags=tags, days=days)


@router.get("/segments.csv", response_class=Response)
def segment_csv(
    staff: DashboardReader,
    session: SessionDep,
    tags: ViewerTags = [],  # noqa: B006
    days: SeenDays = None,
) -> Response:
    return viewers.segment_csv(session, org_id=staff.org_id, tags=tags, days=days)


def _leaders(
    staff: Staff, session: SessionDep, since: Since, until: Until, sort: str
) -> Leaderboard:
    start, end = period(since, until)
    return service.leaderboard(session, org_id=staff.org_id, since=start, until=end, sort=sort)


@router.get("/leaderboard")
def leaderboard(
    staff: DashboardReader,
    session: SessionDep,
    since: Since = None,
    until: Until = None,
    sort: Sort = "execution",
) -> Leaderboard:
    return _leaders(staff, session, since, until, sort)


@router.get("/leaderboard/{table}.csv", response_class=Response)
def leaderboard_csv(
    table: str,
    staff: DashboardReader,
    session: SessionDep,
    since: Since = None,
    until: Until = None,
    sort: Sort = "execution",
) -> Response:
    board = _leaders(staff, session, since, until, sort)
    if table not in {"reps", "teams"}:
        raise NotFound("export reps.csv or teams.csv", code="not_found")
    rows = board.reps if table == "reps" else board.teams
    return export.leaders(rows, filename=f"leaderboard-{table}.csv")
