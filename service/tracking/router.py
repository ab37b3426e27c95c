"""Tracking API: the beacon endpoint `POST /t`, staff reports, the viewer API (`/api/viewers`,
with `/api/dashboard/viewers` as its deprecated alias), and a rep's own viewers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response

from service.access import OrgAdmin
from service.deps import CurrentStaff, SessionDep
from service.errors import Forbidden, ServiceUnavailable, TooManyRequests
from service.links import signer_for
from service.posts.deps import PostDep
from service.reps.deps import RepFromToken
from service.routing import CredentialsFirst
from service.security import TokenError
from service.tracking import beacons, privacy, reports, service, tags, viewers
from service.tracking.bots import is_bot
from service.tracking.deps import SeenDays, ViewerDep, ViewerSearch, ViewerTags
from service.tracking.events import EventStore, StoreUnavailable, open_store
from service.tracking.ratelimit import TokenBuckets
from service.tracking.schemas import (
    ShareTree,
    TagRulesBody,
    ViewerDetail,
    ViewerExport,
    ViewerLabel,
    ViewerPage,
    ViewerRead,
    ViewRead,
)

router = APIRouter(tags=["tracking"], route_class=CredentialsFirst)


@dataclass
class Gate:
    """What the beacon endpoint holds between requests: the event store and rate limits."""

    store: EventStore
    per_view: TokenBuckets
    per_ip: TokenBuckets


def get_gate(request: Request) -> Gate:
    """Built on first use from the runtime's settings; tests may set `app.state.tracking`."""
    app: FastAPI = request.app
    gate: Gate | None = getattr(app.state, "tracking", None)
    if gate is None:
        settings = app.state.runtime.settings
        gate = Gate(
            store=open_store(settings),
            per_view=TokenBuckets(
                rate=settings.tracking_view_rate, burst=settings.tracking_view_burst
            ),
            per_ip=TokenBuckets(rate=settings.tracking_ip_rate, burst=settings.tracking_ip_burst),
        )
        app.state.tracking = gate
    return gate


@router.post("/t", status_code=204, response_class=Response, summary="Tracker beacon")
async def ingest(request: Request) -> Response:
    """Check and queue one beacon; never touches the database. 204 when accepted."""
    # No dependencies on purpose: FastAPI runs sync ones on a thread pool, which would cost
    # this hot path more than all of its checks together.
    gate, runtime = get_gate(request), request.app.state.runtime
    if is_bot(request.headers.get("user-agent")):
        raise Forbidden("automated clients are not counted", code="bot")
    # The body's size is bounded before this runs (service/app.py's BODY_RULES).
    beacon = beacons.parse(await request.body())
    try:
        view = signer_for(runtime.settings.secret_keys).read_view_token(beacon.t)
    except TokenError as exc:
        raise Forbidden(str(exc), code="invalid_token") from None
    client = request.client.host if request.client else ""
    if not gate.per_ip.allow(client) or not gate.per_view.allow(str(view.page_view_id)):
        raise TooManyRequests("too many beacons; slow down")
    event = beacons.to_event(
        beacon,
        page_view_id=view.page_view_id,
        opened_at=view.opened_at,
        received_at=time.time(),
        margin_s=runtime.settings.tracking_clock_margin_seconds,
        section_ids=view.section_ids(),
    )
    try:
        await gate.store.append(event)
    except StoreUnavailable:  # not accepted; the phone's next beacon carries the same totals
        raise ServiceUnavailable(
            "beacons cannot be stored right now; retry", code="events_down"
        ) from None
    return Response(status_code=204)


@router.get("/api/posts/{post_id}/views")
def post_views(post: PostDep, session: SessionDep) -> list[ViewRead]:
    views = service.views_of_post(session, post)
    return [reports.view_read(view) for view in views]


@router.get("/api/posts/{post_id}/share-tree")
def post_share_tree(post: PostDep, session: SessionDep) -> ShareTree:
    return reports.share_tree(session, org_id=post.org_id, post_id=post.id)


ALIAS = (
    "Deprecated alias of `{path}`: the same handler and the same response. Kept for clients "
    "of the dashboard's first viewer API; new clients call `{path}`."
)


@router.get("/api/viewers")
@router.get(
    "/api/dashboard/viewers",
    deprecated=True,
    tags=["dashboard"],
    description=ALIAS.format(path="GET /api/viewers"),
)
def list_viewers(
    staff: CurrentStaff,
    session: SessionDep,
    q: ViewerSearch = "",
    tags: ViewerTags = [],  # noqa: B006
    days: SeenDays = None,
    rep_id: int | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ViewerPage:
    """The organisation's viewers, most recently seen first, a page at a time with the total.
    `q`: label or number; every `tag` must be present; `days`: seen in the last N days;
    `rep_id`: only those who opened one of that rep's links."""
    return viewers.page(
        session,
        org_id=staff.org_id,
        q=q,
        tags=tags,
        days=days,
        rep_id=rep_id,
        offset=offset,
        limit=limit,
    )


@router.get("/api/viewers/{viewer_id}")
@router.get(
    "/api/dashboard/viewers/{viewer_id}",
    deprecated=True,
    tags=["dashboard"],
    description=ALIAS.format(path="GET /api/viewers/{viewer_id}"),
)
def viewer_detail(viewer: ViewerDep, session: SessionDep) -> ViewerDetail:
    """The viewer with tags (and their evidence) and every page view, newest first."""
    return viewers.detail(session, viewer)


@router.patch("/api/viewers/{viewer_id}")
def label_viewer(viewer: ViewerDep, body: ViewerLabel, session: SessionDep) -> ViewerDetail:
    return viewers.label(session, viewer, text=body.label)


@router.get("/api/viewers/{viewer_id}/export")
def export_viewer(viewer: ViewerDep, admin: OrgAdmin, session: SessionDep) -> ViewerExport:
    return privacy.export(session, viewer)


@router.delete("/api/viewers/{viewer_id}", status_code=204, response_class=Response)
def erase_viewer(viewer: ViewerDep, admin: OrgAdmin, session: SessionDep) -> Response:
    privacy.erase(session, viewer)
    return Response(status_code=204)


@router.get("/api/tracking/rules")
def get_rules(staff: CurrentStaff, session: SessionDep) -> TagRulesBody:
    return TagRulesBody(rules=tags.rules_for(session, org_id=staff.org_id).as_json())


@router.put("/api/tracking/rules")
def put_rules(body: TagRulesBody, admin: OrgAdmin, session: SessionDep) -> TagRulesBody:
    """Replace the organisation's tag rules; the next tag run applies them."""
    rules = tags.set_rules(session, org_id=admin.org_id, data=body.rules)
    return TagRulesBody(rules=rules.as_json())


@router.get("/r/{token}/viewers.json")
def rep_viewers(rep: RepFromToken, session: SessionDep) -> list[ViewerRead]:
    """A rep's own viewers only: those who opened one of this rep's share links."""
    return viewers.of_rep(session, rep)


@router.post("/r/{token}/viewers/{viewer_id}/label")
def rep_label_viewer(
    viewer_id: int, body: ViewerLabel, rep: RepFromToken, session: SessionDep
) -> ViewerDetail:
    """A rep names one of their own viewers ("优优妈妈"); anyone else's is 404."""
    viewer = service.label_own_reader(session, rep, viewer_id=viewer_id, label=body.label)
    return viewers.detail(session, viewer, rep_id=rep.id)
