"""The landing page a share link opens (mobile, Simplified Chinese) and its images."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from service.copies.http import image_response
from service.deps import RuntimeDep, SessionDep
from service.errors import NotFound, TooManyOpens
from service.links import ShareLink, ViewToken, share_path, signer_for
from service.models import Post, Rep
from service.reps.deps import RepFromToken
from service.routing import CredentialsFirst
from service.runtime import Runtime
from service.security import TokenError, new_nonce
from service.text import parse
from service.tracking import landing as landing_service
from service.tracking import oauth, service
from service.tracking.article import split_sections
from service.tracking.bots import is_bot
from service.tracking.ratelimit import TokenBuckets
from service.tracking.schemas import ViewerLabel
from service.web import render, set_private_cookie

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, route_class=CredentialsFirst)
VIEWER_COOKIE = "mc_viewer"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
COOKIE_CHECK = "c"  # on the redirect that asks a cookie-less browser to show its new cookie


@dataclass
class OpenLimits:
    """Landing-page opens per client address, in the process (as the beacon limits): past
    `counted` an open is served but makes no viewer or page view; past `served` it is a 429.
    Set `app.state.open_limits` to replace them."""

    counted: TokenBuckets
    served: TokenBuckets


def open_limits(request: Request) -> OpenLimits:
    limits: OpenLimits | None = getattr(request.app.state, "open_limits", None)
    if limits is None:
        settings = request.app.state.runtime.settings
        limits = OpenLimits(
            counted=TokenBuckets(
                rate=settings.tracking_open_rate, burst=settings.tracking_open_burst
            ),
            served=TokenBuckets(
                rate=settings.tracking_open_hard_rate, burst=settings.tracking_open_hard_burst
            ),
        )
        request.app.state.open_limits = limits
    return limits


def read_link(runtime: Runtime, token: str) -> ShareLink:
    try:
        return signer_for(runtime.settings.secret_keys).read_share_token(token)
    except TokenError as exc:
        raise NotFound(str(exc), code="share_not_found") from None


@router.get("/s/{token}", response_class=HTMLResponse, response_model=None)
def landing(
    request: Request,
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
    channel: str = Query("", alias="from"),
    code: str = "",
    state: str = "",
    hop: str = Query("", alias="h"),
) -> Response:
    """Count the opening and show the post; someone else's link first redirects the viewer
    to their own, so the URL they share next names them.

    Only a browser that shows it keeps cookies is counted: a first open without any of our
    cookies is redirected once, with the new viewer cookie, before a viewer exists; if the
    cookie does not come back the page is served uncounted. So a burst of cookie-less GETs
    adds no viewer and no page view, and per-address limits bound the rest."""
    link = read_link(runtime, token)
    post, rep = service.shared_post(session, link)
    user_agent = request.headers.get("user-agent")
    if is_bot(user_agent):  # previews and crawlers read the page but are never counted
        return _page(request, runtime, session, token=token, post=post, rep=rep)
    limits, client = open_limits(request), request.client.host if request.client else ""
    if not limits.served.allow(client):
        raise TooManyOpens("too many opens from this address", message="访问过于频繁，请稍后再试。")
    cookie_id = request.cookies.get(VIEWER_COOKIE)
    openid = None
    if oauth.wanted(runtime.settings, user_agent=user_agent, cookie_id=cookie_id):
        if not code:
            return _to_wechat(runtime, str(request.url))
        nonce = request.cookies.get(oauth.STATE_COOKIE, "")
        if nonce and runtime.signer.check_csrf(f"oauth:{nonce}", state):
            openid = oauth.openid_for(runtime.settings, code)
        else:  # a code this browser did not ask for: stay anonymous rather than adopt it
            log.warning("WeChat OAuth: code with a state this browser did not start; ignored")
    shown_real = bool(cookie_id or openid or request.cookies.get(oauth.STATE_COOKIE))
    if not shown_real:
        if request.query_params.get(COOKIE_CHECK):  # asked once; it kept no cookie
            return _page(request, runtime, session, token=token, post=post, rep=rep)
        return _cookie_check(request, runtime)
    if not limits.counted.allow(client):
        return _page(request, runtime, session, token=token, post=post, rep=rep)
    opening = service.Opening(
        cookie_id=cookie_id,
        openid=openid,
        channel=channel,
        ip=request.client.host if request.client else "",
    )
    viewer = service.identify(session, org_id=link.org_id, rep_id=link.rep_id, opening=opening)
    signer = signer_for(runtime.settings.secret_keys)
    own = ShareLink(link.org_id, link.post_id, link.rep_id, viewer.id)
    arrived = _read_hop(runtime, hop)
    if link.parent_viewer_id != viewer.id and arrived is None:
        query = {"h": signer.hop_token(link.parent_viewer_id)} | (
            {"from": channel} if channel else {}
        )
        target = f"{share_path(signer, own)}?{urlencode(query)}"
        return _with_cookie(runtime, RedirectResponse(target, status_code=302), viewer.cookie_id)
    view = service.open_view(
        session,
        link=link,
        viewer=viewer,
        opening=opening,
        salt_key=runtime.settings.secret_key,
        hop=arrived,
    )
    page = _page(
        request,
        runtime,
        session,
        token=token,
        post=post,
        rep=rep,
        view_token=signer.view_token(
            ViewToken(
                view.id, int(view.opened_at.timestamp()), sections=len(split_sections(post.article))
            )
        ),
        child_path=share_path(signer, own),
    )
    return _with_cookie(runtime, page, viewer.cookie_id)


def _cookie_check(request: Request, runtime: Runtime) -> Response:
    """The same link again with a fresh viewer cookie; nothing is stored yet."""
    query = {k: v for k, v in request.query_params.items() if k in {"from", "h"}}
    target = f"{request.url.path}?{urlencode(query | {COOKIE_CHECK: '1'})}"
    redirect = RedirectResponse(target, status_code=302)
    return _with_cookie(runtime, redirect, service.new_cookie_id())


def _read_hop(runtime: Runtime, hop: str) -> service.Hop | None:
    if not hop:
        return None
    try:
        return service.Hop(signer_for(runtime.settings.secret_keys).read_hop_token(hop))
    except TokenError:
        return None  # stale (a copied URL): a normal open


def _page(
    request: Request,
    runtime: Runtime,
    session: Session,
    *,
    token: str,
    post: Post,
    rep: Rep,
    view_token: str | None = None,
    child_path: str | None = None,
) -> Response:
    view = landing_service.landing(session, runtime, post=post, rep=rep)
    response = render(
        request,
        "landing.html",
        post=view.post,
        copy=view.copy,
        rep=view.rep,
        org_name=view.org_name,
        sections=view.sections,
        image_base=f"/s/{token}/images",
        view_token=view_token,
        child_path=child_path,
        idle_seconds=runtime.settings.tracking_idle_seconds,
    )
    return _no_store(response)


def _to_wechat(runtime: Runtime, current_url: str) -> Response:
    """The silent OAuth redirect, with a state bound to a nonce cookie of this browser."""
    nonce = new_nonce()
    state = runtime.signer.csrf_token(f"oauth:{nonce}")
    response = RedirectResponse(oauth.authorize_url(runtime.settings, current_url, state=state))
    set_private_cookie(  # Lax: sent on WeChat's top-level redirect back
        response, runtime.settings, oauth.STATE_COOKIE, nonce, max_age=oauth.STATE_SECONDS
    )
    return _no_store(response)


def _with_cookie(runtime: Runtime, response: Response, cookie_id: str) -> Response:
    set_private_cookie(response, runtime.settings, VIEWER_COOKIE, cookie_id, max_age=COOKIE_MAX_AGE)
    return _no_store(response)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # every open is a new page view
    return response


@router.get("/s/{token}/images/{position}", response_class=Response)
def landing_image(token: str, position: int, session: SessionDep, runtime: RuntimeDep) -> Response:
    key = landing_service.image_key(session, runtime, read_link(runtime, token), position=position)
    return image_response(runtime, key)


@router.post("/r/{token}/viewers/{viewer_id}/name", response_class=Response)
def name_reader(
    token: str,
    viewer_id: int,
    rep: RepFromToken,
    session: SessionDep,
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The rep page's form (works without JavaScript): name a reader, back to the list."""
    checked = parse(ViewerLabel, {"label": label})  # the API's rules, not a looser copy
    service.label_own_reader(session, rep, viewer_id=viewer_id, label=checked.label)
    return RedirectResponse(f"/r/{token}#readers", status_code=303)
