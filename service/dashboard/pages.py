"""The dashboard's pages (Simplified Chinese): the same reports as the API, as HTML with
server-rendered SVG; dashboard.js swaps the live part in place when a filter changes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from service.access import PageDashboardReader
from service.dashboard import service, svg, viewers
from service.dashboard.router import Sort, Team, period
from service.deps import SessionDep
from service.errors import BadRequest
from service.posts.deps import PostDep
from service.routing import CredentialsFirst
from service.tracking.deps import SeenDays, ViewerDep, ViewerSearch, ViewerTags
from service.tracking.tags import duration
from service.web import render

router = APIRouter(prefix="/admin/dashboard", include_in_schema=False, route_class=CredentialsFirst)
REP_ROWS = 100


# Dates arrive from <input type=date>; an empty field is "no limit", not an error.
DateText = Annotated[str, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


def dur(value: float | None) -> str:
    return "—" if value is None else duration(int(value * 1000))


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def show(request: Request, name: str, **context: Any) -> HTMLResponse:
    return render(request, name, dur=dur, pct=pct, **context)


def _dates(since: str, until: str) -> tuple[date | None, date | None]:
    try:
        return (
            date.fromisoformat(since) if since else None,
            date.fromisoformat(until) if until else None,
        )
    except ValueError:
        raise BadRequest("dates are YYYY-MM-DD", code="invalid_date") from None


@router.get("", response_class=HTMLResponse)
def campaign(
    request: Request,
    staff: PageDashboardReader,
    session: SessionDep,
    since: DateText = "",
    until: DateText = "",
    team: Team = None,
) -> HTMLResponse:
    start, end = period(*_dates(since, until))
    overview = service.campaign(
        session, org_id=staff.org_id, since=start, until=end, team=team or None
    )
    query = urlencode(
        {k: v for k, v in {"since": since, "until": until, "team": team}.items() if v}
    )
    return show(
        request,
        "dash_campaign.html",
        overview=overview,
        form={"since": since, "until": until, "team": team or ""},
        csv_url=f"/api/dashboard/campaign.csv?{query}",
        tab="campaign",
    )


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_detail(
    request: Request,
    staff: PageDashboardReader,
    post: PostDep,
    session: SessionDep,
    all_reps: bool = False,
) -> HTMLResponse:
    dashboard, spread = service.post(session, post)
    names = {rep.id: rep.name for rep in service.reps(session, org_id=staff.org_id)}
    kocs = {node.viewer_id for node in dashboard.tree if node.koc}
    boxes = svg.tree_boxes(spread, names, kocs=kocs)
    return show(
        request,
        "dash_post.html",
        d=dashboard,
        histogram=svg.bars(dashboard.histogram),
        curve=svg.curve(dashboard.completion),
        strip=svg.strip(dashboard.sections),
        tree=svg.tree(boxes),
        # A thousand rows is a long page on a phone: the first ones, the rest on request.
        shown_reps=dashboard.reps if all_reps else dashboard.reps[:REP_ROWS],
        tab="campaign",
    )


@router.get("/viewers", response_class=HTMLResponse)
def viewer_list(
    request: Request,
    staff: PageDashboardReader,
    session: SessionDep,
    q: ViewerSearch = "",
    tags: ViewerTags = [],  # noqa: B006
    days: SeenDays = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    tags = [t for t in tags if t]
    found = viewers.page(session, org_id=staff.org_id, q=q, tags=tags, days=days, offset=offset)
    base = {"q": q, "days": days or "", "tag": tags}
    query = urlencode({k: v for k, v in base.items() if v}, doseq=True)
    return show(
        request,
        "dash_viewers.html",
        page=found,
        form={"q": q, "tags": tags, "days": days or ""},
        all_tags=viewers.tag_names(session, org_id=staff.org_id),
        segment_url=f"/api/dashboard/segments.csv?{query}" if tags else "",
        next_url=f"?{query}&offset={offset + found.limit}"
        if offset + found.limit < found.total
        else "",
        prev_url=f"?{query}&offset={max(0, offset - found.limit)}" if offset else "",
        tab="viewers",
    )


@router.get("/viewers/{viewer_id}", response_class=HTMLResponse)
def viewer_detail(
    request: Request,
    staff: PageDashboardReader,
    viewer: ViewerDep,
    session: SessionDep,
) -> HTMLResponse:
    return show(request, "dash_viewer.html", v=viewers.detail(session, viewer), tab="viewers")


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard(
    request: Request,
    staff: PageDashboardReader,
    session: SessionDep,
    since: DateText = "",
    until: DateText = "",
    sort: Sort = "execution",
) -> HTMLResponse:
    start, end = period(*_dates(since, until))
    board = service.leaderboard(session, org_id=staff.org_id, since=start, until=end, sort=sort)
    query = urlencode(
        {k: v for k, v in {"since": since, "until": until, "sort": sort}.items() if v}
    )
    return show(
        request,
        "dash_leaderboard.html",
        board=board,
        form={"since": since, "until": until, "sort": sort},
        query=query,
        tab="leaderboard",
    )
