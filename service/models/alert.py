"""A rep's alert: one of their viewers reached a read-time tier ("优优妈妈 细读 13分02秒")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, CreatedAt, UTCDateTime


class RepAlert(CreatedAt, Base):
    __tablename__ = "rep_alerts"
    # One alert per viewer and tier, ever: recomputing tags never alerts twice.
    __table_args__ = (
        UniqueConstraint("viewer_id", "tag"),
        Index("ix_rep_alerts_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"), index=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("viewers.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[str] = mapped_column(Text)
    # Delivery through the scheduler's notifiers: pending -> sent | failed ("none": no
    # notifier configured; the alert is on the rep's page all the same).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
