"""The rep's home page as a view model, and what the rep does with a copy from it.

This domain composes the others (copies, plans' slots, tracking's readers and alerts), so it
sits last in the domain order; nothing imports it but the app.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from service import engines
from service.copies import http as copies_http
from service.copies import service as copies_service
from service.copies.schemas import CopyRead
from service.links import ShareLink, share_url
from service.models import Copy, Post, Rep, RepAlert
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.runtime import Runtime
from service.timezones import zone
from service.tracking import alerts as tracking_alerts
from service.tracking import viewers as tracking_viewers
from service.tracking.schemas import ViewerRead

PAGE_SIZE = 5  # copies are generated on first open, so keep the first page short
READERS = 10  # "谁看了我的分享": the most recent of the rep's readers
# How much each kind of tag adds to a reader's warmth, in seconds of reading it is worth.
WARMTH_BONUS = {"tier": 120.0, "finished": 60.0, "revisit": 90.0, "sharer": 120.0, "koc": 240.0}
TALK_TO = 5


@dataclass(frozen=True)
class Item:
    post: Post
    copy: Copy
    risk: dict[str, Any] | None
    share_url: str = ""  # the rep's tracked link (service/tracking)
    slot: str = ""  # "建议发布时间", in the rep's timezone (service/plans)


@dataclass(frozen=True)
class RepHome:
    items: list[Item]
    readers: list[ViewerRead]
    talk_to: list[ViewerRead]
    alerts: list[RepAlert]
    org_name: str
    older: int | None  # the next page's number, when there is one


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


def home(session: Session, runtime: Runtime, rep: Rep, *, page: int) -> RepHome:
    """Page `page` (from 1) of the rep's published posts, newest first, each copy marked opened."""
    plans_service.enrol_rep(session, runtime.settings, rep)  # joined after a post went out
    posts = posts_service.list_(
        session,
        org_id=rep.org_id,
        published_only=True,
        for_rep=rep.id,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    tz = zone(rep.timezone) or ZoneInfo(runtime.settings.default_timezone)
    items = _items(session, runtime, rep, posts[:PAGE_SIZE], tz)
    org = orgs_service.get_org(session, org_id=rep.org_id)
    readers = tracking_viewers.of_rep(session, rep)
    return RepHome(
        items=items,
        readers=readers[:READERS],
        talk_to=people_to_talk_to(readers, now=datetime.now(tz)),
        alerts=tracking_alerts.for_rep(session, org_id=rep.org_id, rep_id=rep.id),
        org_name=org.name if org else "",
        older=page + 1 if len(posts) > PAGE_SIZE else None,
    )


def _items(
    session: Session, runtime: Runtime, rep: Rep, posts: list[Post], tz: ZoneInfo
) -> list[Item]:
    slots = plans_service.slots_for_rep(
        session, org_id=rep.org_id, rep_id=rep.id, post_ids=[post.id for post in posts]
    )
    return [
        Item(
            post,
            copy,
            engines.fold_risk_of(copy.text) if copy.text else None,
            share_url(runtime.settings, ShareLink(rep.org_id, post.id, rep.id)),
            slot_label(slots.get(post.id), tz),
        )
        for post in posts
        for copy in [copies_service.mark_opened(session, _copy(session, runtime, post, rep))]
    ]


def _copy(session: Session, runtime: Runtime, post: Post, rep: Rep) -> Copy:
    return copies_service.ensure_copy(session, runtime.storage, post=post, rep=rep)


def opened_copy(
    session: Session, runtime: Runtime, *, post: Post, rep: Rep, token: str
) -> CopyRead:
    """The rep's copy as the page's script reads it, marked opened, with its share link."""
    copy = copies_service.mark_opened(session, _copy(session, runtime, post, rep))
    read = copies_service.to_read(post, copy, copies_http.rep_image_url(token))
    return copies_http.with_share_url(runtime, read, org_id=post.org_id)


def mark_posted(session: Session, runtime: Runtime, *, post: Post, rep: Rep) -> datetime:
    """'我已发布': idempotent; the first press's time is kept."""
    copy = copies_service.mark_posted(session, _copy(session, runtime, post, rep))
    assert copy.posted_at is not None
    return copy.posted_at


def image_key(session: Session, runtime: Runtime, *, post: Post, rep: Rep, position: int) -> str:
    return copies_service.image_key(_copy(session, runtime, post, rep), position)


def images_zip(session: Session, runtime: Runtime, *, post: Post, rep: Rep) -> bytes:
    """Every image of the rep's copy in one archive (for browsers that allow downloads)."""
    copy = _copy(session, runtime, post, rep)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for image in copy.images:
            suffix = image.storage_key[image.storage_key.rfind(".") :]
            archive.writestr(
                f"{post.id}-{image.position + 1}{suffix}", runtime.storage.get(image.storage_key)
            )
    return buffer.getvalue()
