"""A published post's plan: its window, every targeted rep's slot, and the reminders sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, CreatedAt, UTCDateTime


class Plan(CreatedAt, Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    quiet_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["22:00", "08:00"]
    teams: Mapped[list[Any]] = mapped_column(JSON, default=list)  # empty: every active rep
    # When copy generation was last queued; the sweeper re-queues what is still missing
    # once nothing has been generated for a while (a killed worker, a lost message).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    copies_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlanItem(Base):
    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("post_id", "rep_id"),
        Index("ix_plan_items_due", "reminded_at", "slot_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"), index=True)
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the first reminder went out on at least one channel, and when the second did.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    second_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery:
    """Where sending something through a notifier stands (service.notifications.delivery.record)."""

    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Reminder(Delivery, CreatedAt, Base):
    """One reminder (stage 1 at the slot, stage 2 later if not posted) on one channel."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("item_id", "stage", "channel"),
        Index("ix_reminders_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id", ondelete="CASCADE"))
    stage: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16))  # wecom | webhook | email
