"""A sales rep: no login, reached through a signed personal link."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, CreatedAt


class Rep(CreatedAt, Base):
    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    team: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    external_id: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; None: the default
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the signed link: replacing it revokes every link issued before.
    link_nonce: Mapped[str] = mapped_column(String(32))
