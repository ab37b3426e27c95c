"""Each rep's copy of a post: generated on first request, stored, never changed.

Copies of one post clear each other, including copies for reps added after publishing: a new
copy is generated against every copy already issued for the post. Generation for one post is
serialised (a process lock held until commit, plus a row lock on PostgreSQL) so two first
opens never miss each other; the (post, rep) unique constraint backs this up across processes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial

from sqlalchemy.orm import Session

from service import engines
from service.copies import repository
from service.copies.schemas import CopyImageRead, CopyRead
from service.db import after_rollback, hold_until_end, is_postgres
from service.errors import NotFound
from service.models import Copy, ImageCopy, Post, Rep, utcnow
from service.posts import repository as posts_repository
from service.storage import Storage

ImageUrl = Callable[[Copy, int], str]


def ensure_copy(session: Session, storage: Storage, *, post: Post, rep: Rep) -> Copy:
    """The rep's copy of `post`, generated now if this is the first time it is asked for."""
    existing = repository.get(session, org_id=post.org_id, post_id=post.id, rep_id=rep.id)
    if existing is not None:
        return existing
    hold_until_end(session, f"copies:post:{post.id}")
    if is_postgres(session):
        posts_repository.get(session, org_id=post.org_id, post_id=post.id, for_update=True)
    existing = repository.get(session, org_id=post.org_id, post_id=post.id, rep_id=rep.id)
    return existing or _generate(session, storage, post=post, rep=rep)


def _generate(session: Session, storage: Storage, *, post: Post, rep: Rep) -> Copy:
    seed_prefix = f"post{post.id}-{post.seed_salt}"
    text, text_params = engines.text_copy(
        post.text,
        str(rep.id),
        seed_prefix=seed_prefix,
        protected=post.protected,
        issued=repository.issued_texts(session, org_id=post.org_id, post_id=post.id),
    )
    images = _image_copies(session, storage, post=post, rep=rep, seed_prefix=seed_prefix)
    keys = [image.storage_key for image in images]
    after_rollback(session, lambda: _delete(storage, keys))
    copy = Copy(
        org_id=post.org_id,
        post_id=post.id,
        rep_id=rep.id,
        text=text,
        text_params=text_params,
        images=images,
    )
    if repository.add_unless_exists(session, copy):
        return copy
    _delete(storage, keys)  # another process issued this rep's copy first: keep theirs
    winner = repository.get(session, org_id=post.org_id, post_id=post.id, rep_id=rep.id)
    assert winner is not None
    return winner


def _image_copies(
    session: Session, storage: Storage, *, post: Post, rep: Rep, seed_prefix: str
) -> list[ImageCopy]:
    """Each image varied against the copies already issued of it, stored under a fresh key."""
    issued = repository.issued_images(session, org_id=post.org_id, post_id=post.id)
    requests = [
        engines.ImageRequest(
            load_master=partial(storage.get, master.storage_key),
            master_key=master.storage_key,
            seed_prefix=f"{seed_prefix}:image{master.position}",
            issued=issued.get(master.position, []),
        )
        for master in post.images
    ]
    images = []
    results = engines.image_copies(requests, rep_key=str(rep.id), team=rep.team)
    for master, result in zip(post.images, results, strict=True):
        key = f"copies/{post.id}/{rep.id}-{master.position}-{secrets.token_hex(6)}{result.suffix}"
        storage.put(key, result.data)
        images.append(ImageCopy(position=master.position, storage_key=key, params=result.params))
    return images


def _delete(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        storage.delete(key)


def mark_posted(session: Session, copy: Copy) -> Copy:
    """Record that the rep posted it; the first time counts, pressing again changes nothing."""
    if copy.posted_at is None:
        copy.posted_at = utcnow()
        session.flush()
    return copy


def image_key(copy: Copy, position: int) -> str:
    image = next((image for image in copy.images if image.position == position), None)
    if image is None:
        raise NotFound(f"this copy has no image {position}", code="image_not_found")
    return image.storage_key


def to_read(post: Post, copy: Copy, image_url: ImageUrl) -> CopyRead:
    return CopyRead(
        post_id=post.id,
        rep_id=copy.rep_id,
        title=post.title,
        text=copy.text,
        images=[
            CopyImageRead(position=image.position, url=image_url(copy, image.position))
            for image in copy.images
        ],
        created_at=copy.created_at,
        published_at=post.published_at,
        posted_at=copy.posted_at,
    )
