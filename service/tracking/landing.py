"""What the landing page of a share link shows: the rep's copy of the post, the brand's name
and the article's sections (the page handler decides whether the open is counted)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.copies import service as copies_service
from service.links import ShareLink
from service.models import Copy, Post, Rep
from service.orgs import service as orgs_service
from service.runtime import Runtime
from service.tracking import service
from service.tracking.article import Section, split_sections


@dataclass(frozen=True)
class Landing:
    post: Post
    copy: Copy
    rep: Rep
    org_name: str
    sections: list[Section]


def landing(session: Session, runtime: Runtime, *, post: Post, rep: Rep) -> Landing:
    copy = copies_service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    org = orgs_service.get_org(session, org_id=post.org_id)
    return Landing(post, copy, rep, org.name if org else "", split_sections(post.article))


def image_key(session: Session, runtime: Runtime, link: ShareLink, *, position: int) -> str:
    """The storage key of the copy's image at `position` behind a share link."""
    post, rep = service.shared_post(session, link)
    copy = copies_service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    return copies_service.image_key(copy, position)
