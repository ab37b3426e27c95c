"""Read tracking: viewers (anonymous customers), their page views, tag rules and tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, CreatedAt, UTCDateTime


class Viewer(CreatedAt, Base):
    """Someone who opened a share link: a first-party cookie id, an openid when WeChat said."""

    __tablename__ = "viewers"
    __table_args__ = (
        UniqueConstraint("org_id", "cookie_id"),
        Index("ix_viewers_org_id_openid", "org_id", "openid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cookie_id: Mapped[str] = mapped_column(String(40))
    openid: Mapped[str | None] = mapped_column(String(64))
    # The rep whose link brought them first; that rep may name them ("优优妈妈").
    first_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    # Folded from the viewer's page views by the consumer (recomputed, never incremented).
    views: Mapped[int] = mapped_column(default=0)
    engaged_ms: Mapped[int] = mapped_column(default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PageView(Base):
    """One opening of a landing page; the consumer keeps the maximum of each running total."""

    __tablename__ = "page_views"
    __table_args__ = (Index("ix_page_views_org_id_post_id", "org_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"), index=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id"), index=True)
    parent_viewer_id: Mapped[int | None] = mapped_column(ForeignKey("viewers.id"))
    channel: Mapped[str] = mapped_column(String(32), default="")  # WeChat's from= parameter
    ip_hash: Mapped[str] = mapped_column(String(32), default="")  # daily-salted, never the IP
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    beacons: Mapped[int] = mapped_column(default=0)  # highest sequence number seen
    visible_ms: Mapped[int] = mapped_column(default=0)
    engaged_ms: Mapped[int | None] = mapped_column()  # None until a tracker reports it
    max_scroll: Mapped[int] = mapped_column(default=0)  # percent
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # id -> ms


class TagRules(Base):
    """An organisation's tag thresholds; absent means the defaults."""

    __tablename__ = "tag_rules"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ViewerTag(Base):
    """A tag the periodic job derived, with the evidence a rep can act on."""

    __tablename__ = "viewer_tags"
    __table_args__ = (UniqueConstraint("viewer_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
