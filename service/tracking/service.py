"""Opening a share link: who the viewer is, which page view this is, and who sent them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from service.errors import NotFound
from service.links import ShareLink
from service.models import Post, Rep, utcnow
from service.models.tracking import PageView, Viewer
from service.posts import repository as posts_repository
from service.reps import repository as reps_repository
from service.tracking import repository

CHANNEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass(frozen=True)
class Opening:
    """What the landing page needs to know about the request."""

    cookie_id: str | None
    openid: str | None = None
    channel: str = ""
    ip: str = ""


@dataclass(frozen=True)
class Hop:
    """The viewer was just redirected to their own link from one with this parent."""

    parent_viewer_id: int | None


def shared_post(session: Session, link: ShareLink) -> tuple[Post, Rep]:
    """The published post and the active rep a share link names; anything else is 404. A
    deactivated rep's links stop showing their name and copy (they may have left the brand),
    for the page and its images alike."""
    post = posts_repository.get(session, org_id=link.org_id, post_id=link.post_id)
    rep = reps_repository.get(session, org_id=link.org_id, rep_id=link.rep_id)
    if post is None or post.published_at is None or rep is None:
        raise NotFound("this shared post is no longer available", code="share_not_found")
    if not rep.active:
        raise NotFound("this shared post is no longer available", code="share_unavailable")
    return post, rep


def views_of_post(session: Session, post: Post) -> list[PageView]:
    return repository.views_of_post(session, org_id=post.org_id, post_id=post.id)


def new_cookie_id() -> str:
    return secrets.token_urlsafe(18)


def identify(session: Session, *, org_id: int, rep_id: int, opening: Opening) -> Viewer:
    """The viewer behind the cookie (or WeChat openid), created on their first open."""
    if opening.openid:
        known = repository.viewer_by_openid(session, org_id=org_id, openid=opening.openid)
        if known is not None:
            return known
    cookie_id = opening.cookie_id or new_cookie_id()
    viewer = repository.viewer_by_cookie(session, org_id=org_id, cookie_id=cookie_id)
    if viewer is None:
        viewer = repository.add_viewer(
            session,
            Viewer(org_id=org_id, cookie_id=cookie_id, openid=opening.openid, first_rep_id=rep_id),
        ) or repository.viewer_by_cookie(session, org_id=org_id, cookie_id=cookie_id)
        assert viewer is not None
    elif opening.openid and not viewer.openid:
        viewer.openid = opening.openid
    return viewer


def open_view(
    session: Session,
    *,
    link: ShareLink,
    viewer: Viewer,
    opening: Opening,
    salt_key: str,
    hop: Hop | None = None,
) -> PageView:
    """A new page view on `link`. On the viewer's own link the parent is whoever's link they
    were redirected from (`hop`), or, on a later re-open, the parent of their first view."""
    parent = link.parent_viewer_id
    if parent == viewer.id:
        parent = (
            hop.parent_viewer_id
            if hop is not None
            else repository.first_parent(
                session, org_id=link.org_id, post_id=link.post_id, viewer_id=viewer.id
            )
        )
    if parent == viewer.id or (
        parent is not None
        and repository.get_viewer(session, org_id=link.org_id, viewer_id=parent) is None
    ):
        parent = None  # erased since the link was made
    now = utcnow()
    return repository.add_view(
        session,
        PageView(
            org_id=link.org_id,
            post_id=link.post_id,
            rep_id=link.rep_id,
            viewer_id=viewer.id,
            parent_viewer_id=parent,
            channel=clean_channel(opening.channel),
            ip_hash=ip_hash(opening.ip, key=salt_key, day=now) if opening.ip else "",
            opened_at=now,
            sections={},
        ),
    )


def clean_channel(value: str) -> str:
    """WeChat's from= (timeline, singlemessage, groupmessage); anything odd is dropped."""
    value = value[:32]
    return value if value and set(value) <= CHANNEL_CHARS else ""


def ip_hash(ip: str, *, key: str, day: datetime) -> str:
    """The address under a salt that changes every day: same-day repeats match, nothing more."""
    salt = hmac.new(key.encode(), f"ip-salt:{day:%Y-%m-%d}".encode(), hashlib.sha256).digest()
    return hashlib.blake2b(ip.encode(), key=salt[:32], digest_size=12).hexdigest()


def label_own_reader(session: Session, rep: Rep, *, viewer_id: int, label: str) -> Viewer:
    """The rep names one of their own readers ("优优妈妈"); anyone else's viewer is 404."""
    viewer = repository.get_viewer(session, org_id=rep.org_id, viewer_id=viewer_id)
    if viewer is None or not repository.is_reader(
        session, org_id=rep.org_id, rep_id=rep.id, viewer_id=viewer_id
    ):
        raise NotFound(f"no viewer {viewer_id} among your readers", code="viewer_not_found")
    viewer.label = label  # checked by ViewerLabel (service.text) at the edge
    session.flush()
    return viewer
