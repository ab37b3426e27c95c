"""A rep's alert: one of their viewers reached a read-time tier ("优优妈妈 细读 13分02秒")."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, CreatedAt
from service.models.plan import Delivery


class RepAlert(Delivery, CreatedAt, Base):
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
    # Delivery status may also be "none": no notifier was configured; the alert is on the
    # rep's page all the same.
