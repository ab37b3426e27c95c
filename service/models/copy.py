"""One rep's copy of one post: issued once, never changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models._base import Base, CreatedAt, UTCDateTime


class Copy(CreatedAt, Base):
    __tablename__ = "copies"
    # The constraint that makes two concurrent first opens end with one copy.
    __table_args__ = (UniqueConstraint("post_id", "rep_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The PostTextVersion the text was made from (None: made before versions existed).
    text_version: Mapped[int | None]
    # When the rep first opened it (their page or its JSON): copies are made ahead of time,
    # so existing is not the same as having been seen.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    images: Mapped[list[ImageCopy]] = relationship(
        lazy="raise", order_by="ImageCopy.position", cascade="all, delete-orphan"
    )


class ImageCopy(Base):
    __tablename__ = "image_copies"
    __table_args__ = (UniqueConstraint("copy_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("copies.id", ondelete="CASCADE"))
    position: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(300))
    # Hashes, team and parameters: what later batches pass back to the engine as `issued`.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
