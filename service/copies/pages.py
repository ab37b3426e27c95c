"""The rep's page at the personal link: newest posts first, each with the rep's own copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service import engines
from service.copies import service
from service.deps import RuntimeDep, SessionDep
from service.links import ShareLink, share_url
from service.models import Copy, Post
from service.orgs import repository as orgs_repository
from service.plans import repository as plans_repository
from service.plans import service as plans_service
from service.posts import repository as posts_repository
from service.reps.deps import RepFromToken
from service.routing import CredentialsFirst
from service.timezones import zone
from service.tracking import alerts as tracking_alerts
from service.tracking import reports as tracking_reports
from service.tracking.schemas import ViewerRead
from service.web import render

router = APIRouter(include_in_schema=False, route_class=CredentialsFirst)
PAGE_SIZE = 5  # copies are generated on first open, so keep the first page short
READERS = 10  # "谁看了我的分享": the most recent of the rep's readers


@dataclass(frozen=True)
class Item:
    post: Post
    copy: Copy
    risk: dict[str, Any] | None
    share_url: str = ""  # the rep's tracked link (service/tracking)
    slot: str = ""  # "建议发布时间", in the rep's timezone (service/plans)


# How much each kind of tag adds to a reader's warmth, in seconds of reading it is worth.
WARMTH_BONUS = {"tier": 120.0, "finished": 60.0, "revisit": 90.0, "sharer": 120.0, "koc": 240.0}
TALK_TO = 5


def people_to_talk_to(readers: list[ViewerRead], *, now: datetime) -> list[ViewerRead]:
    """Today's warmest readers: seen in the last 24 hours, ranked by engaged time plus what
    their tags say (a deep reader who re-shared beats a long skim)."""

    def warmth(reader: ViewerRead) -> float:
        bonus = sum(WARMTH_BONUS.get(tag.kind, 30.0) for tag in reader.tags)
        return reader.engaged_seconds + bonus

    recent = [r for r in readers if r.last_seen_at and now - r.last_seen_at <= timedelta(hours=24)]
    return sorted(recent, key=warmth, reverse=True)[:TALK_TO]


def slot_label(slot: datetime | None, tz: ZoneInfo) -> str:
    """ "20:14" today, "12-02 20:14" on another day, in the rep's own time."""
    if slot is None:
        return ""
    local = slot.astimezone(tz)
    today = datetime.now(tz).date() == local.date()
    return local.strftime("%H:%M" if today else "%m-%d %H:%M")


@router.get("/r/{token}", response_class=HTMLResponse)
def rep_page(
    request: Request,
    token: str,
    rep: RepFromToken,
    session: SessionDep,
    runtime: RuntimeDep,
    page: int = 1,
) -> HTMLResponse:
    page = max(page, 1)
    plans_service.enrol_rep(session, runtime.settings, rep)  # joined after a post went out
    posts = posts_repository.list_(
        session,
        org_id=rep.org_id,
        published_only=True,
        for_rep=rep.id,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    slots = plans_repository.slots_for_rep(
        session, org_id=rep.org_id, rep_id=rep.id, post_ids=[post.id for post in posts]
    )
    tz = zone(rep.timezone) or ZoneInfo(runtime.settings.default_timezone)
    items = [
        Item(
            post,
            copy,
            engines.fold_risk_of(copy.text) if copy.text else None,
            share_url(runtime.settings, ShareLink(rep.org_id, post.id, rep.id)),
            slot_label(slots.get(post.id), tz),
        )
        for post in posts[:PAGE_SIZE]
        for copy in [
            service.mark_opened(
                session, service.ensure_copy(session, runtime.storage, post=post, rep=rep)
            )
        ]
    ]
    org = orgs_repository.get_org(session, org_id=rep.org_id)
    readers = tracking_reports.viewers(session, org_id=rep.org_id, rep_id=rep.id)
    return render(
        request,
        "rep.html",
        rep=rep,
        token=token,
        items=items,
        readers=readers[:READERS],
        talk_to=people_to_talk_to(readers, now=datetime.now(tz)),
        alerts=tracking_alerts.for_rep(session, org_id=rep.org_id, rep_id=rep.id),
        org_name=org.name if org else "",
        older=page + 1 if len(posts) > PAGE_SIZE else None,
    )
