"""An organisation (one brand) and its staff."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, CreatedAt, UTCDateTime


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    MANAGER = "manager"


class Organisation(CreatedAt, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # This brand's own reminder channels (service/notifications/notifiers.py); empty: the install's.
    wecom_robot_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    webhook_secret: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The brand's voice for text copies (service/orgs/voice.py); a post may override either.
    voice_frame_lines: Mapped[str] = mapped_column(
        String(16), default="closer", server_default="closer"
    )
    voice_particles: Mapped[str] = mapped_column(
        String(16), default="light", server_default="light"
    )


class Staff(CreatedAt, Base):
    """A staff member of one organisation. The e-mail is unique within the organisation only:
    a global constraint would tell any admin, through `email_taken`, that an address has an
    account with some other brand (service.orgs.service.create_staff)."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)  # login looks it up
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class StaffSession(Base):
    """One login: the id rides inside the signed staff token, so logging out (revoking the
    row) ends the token at once, as cookie and as bearer, whatever its signed expiry says."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # secrets.token_urlsafe(32)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
