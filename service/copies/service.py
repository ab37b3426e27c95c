"""Each rep's copy of a post: generated on first request, stored, never changed.

Copies of one post clear each other, including copies for reps added after publishing: a new
copy is generated against every copy already issued for the post. Generation is optimistic,
so several workers can make copies of one post at once: a draft is made against the copies
issued so far, without any lock; then, holding the post's lock (a process lock plus the
post's row on PostgreSQL, the database's write lock on SQLite), it is checked against the
copies issued meanwhile and made again only if it collides with one of them (rare). The
(post, rep) unique constraint makes two concurrent first opens end with one copy.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from service import engines
from service.copies import repository
from service.copies.repository import Issued
from service.copies.schemas import CopyImageRead, CopyRead
from service.db import after_rollback, hold_until_end, lock_row
from service.errors import NotFound
from service.models import Copy, ImageCopy, Organisation, Post, Rep, utcnow
from service.posts import versions
from service.posts.voice import post_voice
from service.storage import Storage

ImageUrl = Callable[[Copy, int], str]


@dataclass(frozen=True)
class Draft:
    """A copy made but not yet stored."""

    text: str
    text_params: dict[str, object]
    images: list[engines.ImageCopyResult]


@dataclass(frozen=True)
class TextRecipe:
    """What a post's copies are made from: its current version's text (alternatives as
    spintax) in its brand voice."""

    master: str
    version: int
    voice: engines.Voice


def staff_image_url(copy: Copy, position: int) -> str:
    return f"/api/posts/{copy.post_id}/copies/{copy.rep_id}/images/{position}"


def text_recipe(session: Session, post: Post) -> TextRecipe:
    voice = post_voice(post, session.get(Organisation, post.org_id))
    return TextRecipe(
        master=versions.engine_master(session, post),
        version=post.text_version,
        voice=engines.Voice(frame_lines=voice.frame_lines, particles=voice.particles),
    )


def ensure_copy(session: Session, storage: Storage, *, post: Post, rep: Rep) -> Copy:
    """The rep's copy of `post`, generated now if this is the first time it is asked for."""
    existing = repository.get(session, org_id=post.org_id, post_id=post.id, rep_id=rep.id)
    if existing is not None:
        return existing
    seen = repository.issued(session, org_id=post.org_id, post_id=post.id)
    recipe = text_recipe(session, post)
    draft = _draft(storage, post=post, rep=rep, recipe=recipe, issued=seen)
    hold_until_end(session, f"copies:post:{post.id}")
    lock_row(session, Post, post.id)
    existing = repository.get(session, org_id=post.org_id, post_id=post.id, rep_id=rep.id)
    if existing is not None:
        return existing
    newer = repository.issued(session, org_id=post.org_id, post_id=post.id, after_id=seen.last_id)
    if newer.count:
        draft = _redo_collisions(
            storage, post=post, rep=rep, recipe=recipe, draft=draft, seen=seen, newer=newer
        )
    return _store(session, storage, post=post, rep=rep, draft=draft, version=recipe.version)


def _draft(
    storage: Storage,
    *,
    post: Post,
    rep: Rep,
    recipe: TextRecipe,
    issued: Issued,
    positions: set[int] | None = None,
) -> Draft:
    """The text and the images at `positions` (None: all), clearing `issued`."""
    seed_prefix = f"post{post.id}-{post.seed_salt}"
    text, text_params = engines.text_copy(
        recipe.master,
        str(rep.id),
        seed_prefix=seed_prefix,
        protected=post.protected,
        issued=engines.issued_texts(issued.texts, issued.bodies),
        voice=recipe.voice,
    )
    requests = [
        engines.ImageRequest(
            load_master=partial(storage.get, master.storage_key),
            master_key=master.storage_key,
            seed_prefix=f"{seed_prefix}:image{master.position}",
            issued=issued.images.get(master.position, []),
        )
        for master in post.images
        if positions is None or master.position in positions
    ]
    images = engines.image_copies(requests, rep_key=str(rep.id), team=rep.team)
    return Draft(text=text, text_params=text_params, images=images)


def _redo_collisions(
    storage: Storage,
    *,
    post: Post,
    rep: Rep,
    recipe: TextRecipe,
    draft: Draft,
    seen: Issued,
    newer: Issued,
) -> Draft:
    """The draft with whatever collides with a copy issued since it was made made again."""
    text_ok = not draft.text.strip() or engines.text_clears(
        draft.text,
        engines.issued_texts(newer.texts, newer.bodies),
        body=str(draft.text_params.get("body") or draft.text),
    )
    redo = {
        master.position
        for master, result in zip(post.images, draft.images, strict=True)
        if not engines.image_clears(result.params, newer.images.get(master.position, []))
    }
    if text_ok and not redo:
        return draft
    again = _draft(
        storage, post=post, rep=rep, recipe=recipe, issued=seen.merged(newer), positions=redo
    )
    remade = iter(again.images)
    return Draft(
        text=draft.text if text_ok else again.text,
        text_params=draft.text_params if text_ok else again.text_params,
        images=[
            next(remade) if master.position in redo else result
            for master, result in zip(post.images, draft.images, strict=True)
        ],
    )


def _store(
    session: Session, storage: Storage, *, post: Post, rep: Rep, draft: Draft, version: int
) -> Copy:
    images = []
    for master, result in zip(post.images, draft.images, strict=True):
        key = f"copies/{post.id}/{rep.id}-{master.position}-{secrets.token_hex(6)}{result.suffix}"
        storage.put(key, result.data)
        images.append(ImageCopy(position=master.position, storage_key=key, params=result.params))
    keys = [image.storage_key for image in images]
    after_rollback(session, lambda: _delete(storage, keys))
    copy = Copy(
        org_id=post.org_id,
        post_id=post.id,
        rep_id=rep.id,
        text=draft.text,
        text_params=draft.text_params,
        text_version=version,
        images=images,
    )
    if repository.add_unless_exists(session, copy):
        return copy
    _delete(storage, keys)  # another process issued this rep's copy first: keep theirs
    winner = repository.get(session, org_id=post.org_id, post_id=post.id, rep_id=rep.id)
    assert winner is not None
    return winner


def _delete(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        storage.delete(key)


def mark_opened(session: Session, copy: Copy) -> Copy:
    """Record the rep's first look at their copy (the funnel's 打开素材)."""
    if copy.opened_at is None:
        copy.opened_at = utcnow()
        session.flush()
    return copy


def mark_posted(session: Session, copy: Copy) -> Copy:
    """Record that the rep posted it; the first time counts, pressing again changes nothing."""
    mark_opened(session, copy)
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
