"""Master posts: validated on upload (nothing stored on any error), then published."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service import engines
from service.db import after_rollback
from service.errors import Unprocessable
from service.models import Post, PostImage
from service.posts import repository, versions
from service.posts.schemas import (
    MAX_IMAGES,
    MAX_TEXT_CHARS,
    FoldRiskRead,
    ImageRead,
    PostCreate,
    PostRead,
    VoiceRead,
    VoiceUpdate,
)
from service.storage import Storage
from variation import (
    AnimatedImageError,
    ImageTooLarge,
    UnsupportedImageFormat,
    VariationError,
)

# Narrower than this, the image engine finds no copy that clears the master's hashes, so a
# post would upload fine and then fail for every rep (a 1×60000 strip did).
MIN_IMAGE_SIDE = 8


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def get(session: Session, *, org_id: int, post_id: int) -> Post | None:
    return repository.get(session, org_id=org_id, post_id=post_id)


def list_(
    session: Session,
    *,
    org_id: int,
    published_only: bool = False,
    for_rep: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Post]:
    """Newest first; `for_rep`: only the posts planned for that rep."""
    return repository.list_(
        session,
        org_id=org_id,
        published_only=published_only,
        for_rep=for_rep,
        limit=limit,
        offset=offset,
    )


def create(
    session: Session,
    storage: Storage,
    *,
    org_id: int,
    author_id: int | None,
    data: PostCreate,
    uploads: list[Upload],
) -> Post:
    """A draft post with normalised (metadata-free) copies of its images."""
    # Control characters and line breaks were refused or normalised by PostCreate (service.text).
    title, text = data.title, data.text.strip("\n")
    _check_fields(title, text, len(uploads))
    masters = [_normalise(number, upload) for number, upload in enumerate(uploads, start=1)]
    protected = list(dict.fromkeys(term.strip() for term in data.protected if term.strip()))
    post = repository.add(
        session,
        Post(
            org_id=org_id,
            author_id=author_id,
            title=title,
            text=text,
            protected=protected,
            article=(data.article or "").strip() or None,
            seed_salt=secrets.token_hex(8),
            voice_frame_lines=data.frame_lines,
            voice_particles=data.particles,
            images=[],
        ),
    )
    versions.first_version(session, post, data.sentences, author_id=author_id)
    for position, master in enumerate(masters):
        key = f"posts/{post.id}/master-{position}-{secrets.token_hex(8)}{master.suffix}"
        storage.put(key, master.data)
        after_rollback(session, lambda key=key: storage.delete(key))  # type: ignore[misc]
        post.images.append(
            PostImage(position=position, storage_key=key, width=master.width, height=master.height)
        )
    session.flush()
    return post


def _check_fields(title: str, text: str, image_count: int) -> None:
    if not title:
        raise Unprocessable("the post needs a title", code="title_missing")
    if len(title) > 200:
        raise Unprocessable("the title is longer than 200 characters", code="title_too_long")
    if len(text) > MAX_TEXT_CHARS:
        raise Unprocessable(
            f"the text has {len(text)} characters; WeChat allows at most {MAX_TEXT_CHARS}",
            code="text_too_long",
        )
    if not text.strip() and image_count == 0:
        raise Unprocessable("the post is empty: write a text or add images", code="empty_post")
    if image_count > MAX_IMAGES:
        raise Unprocessable(
            f"{image_count} images; WeChat allows at most {MAX_IMAGES}", code="too_many_images"
        )


ALLOWED_IMAGES = "JPEG、PNG、WebP、静态 GIF 或 HEIC"
# What a person reads for each way an image can be refused (the most specific class first).
IMAGE_REFUSALS: tuple[tuple[type[VariationError], str], ...] = (
    (UnsupportedImageFormat, f"格式不支持，请上传 {ALLOWED_IMAGES} 图片"),
    (AnimatedImageError, f"是动图，朋友圈素材只能用静态图片（{ALLOWED_IMAGES}）"),
    (ImageTooLarge, "尺寸太大，请缩小到 4000 万像素以内后重试"),
    (VariationError, f"无法读取，可能已损坏，请上传 {ALLOWED_IMAGES} 图片"),
)


def _normalise(number: int, upload: Upload) -> engines.Master:
    try:
        master = engines.normalise_master(upload.data)
    except VariationError as exc:
        reason = next(text for kind, text in IMAGE_REFUSALS if isinstance(exc, kind))
        raise Unprocessable(
            f"image {number} ({upload.filename}): {exc}",
            code="invalid_image",
            message=f"第 {number} 张图片（{upload.filename}）{reason}。",
        ) from None
    if min(master.width, master.height) < MIN_IMAGE_SIDE:
        raise Unprocessable(
            f"image {number} ({upload.filename}) is {master.width}×{master.height} pixels; "
            f"each side needs at least {MIN_IMAGE_SIDE}",
            code="image_too_narrow",
        )
    return master


def to_read(post: Post) -> PostRead:
    risk = engines.fold_risk_of(post.text)
    return PostRead(
        id=post.id,
        title=post.title,
        text=post.text,
        article=post.article,
        protected=list(post.protected),
        created_at=post.created_at,
        status="published" if post.published_at else "draft",
        published_at=post.published_at,
        images=[
            ImageRead(
                position=image.position,
                width=image.width,
                height=image.height,
                url=f"/api/posts/{post.id}/images/{image.position}",
            )
            for image in post.images
        ],
        fold_risk=FoldRiskRead(**risk),
        voice=VoiceRead.model_validate(
            {"frame_lines": post.voice_frame_lines, "particles": post.voice_particles}
        ),
        text_version=post.text_version,
    )


def set_voice(session: Session, post: Post, data: VoiceUpdate) -> Post:
    """The post's own voice (null: the organisation's default); copies made from now on use it."""
    changes = data.model_dump(exclude_unset=True)
    if "frame_lines" in changes:
        post.voice_frame_lines = changes["frame_lines"]
    if "particles" in changes:
        post.voice_particles = changes["particles"]
    session.flush()
    return post
