"""A master post written by an editor, and its images."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models._base import Base, CreatedAt, UTCDateTime


class Post(CreatedAt, Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    article: Mapped[str | None] = mapped_column(Text)
    protected: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Secret per post, so the copies' seeds are stable yet not guessable from ids.
    seed_salt: Mapped[str] = mapped_column(String(32))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The brand voice for this post; None: the organisation's default.
    voice_frame_lines: Mapped[str | None] = mapped_column(String(16))
    voice_particles: Mapped[str | None] = mapped_column(String(16))
    # The current PostTextVersion (sentence alternatives); new copies are made from it.
    text_version: Mapped[int] = mapped_column(default=1, server_default="1")

    images: Mapped[list[PostImage]] = relationship(
        lazy="raise", order_by="PostImage.position", cascade="all, delete-orphan"
    )


class PostImage(Base):
    __tablename__ = "post_images"
    __table_args__ = (UniqueConstraint("post_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    position: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(300))
    width: Mapped[int]
    height: Mapped[int]


class PostTextVersion(CreatedAt, Base):
    """One saved state of a post's sentence alternatives; every edit adds a version.

    `sentences`: [{"text": sentence, "alternatives": [{"text": ..., "approved": bool}]}] in
    reading order, the sentences' texts joined giving the post's text; [] for a post whose
    text is used as written (inline spintax included).
    """

    __tablename__ = "post_text_versions"
    __table_args__ = (UniqueConstraint("post_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    version: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    sentences: Mapped[list[Any]] = mapped_column(JSON, default=list)
