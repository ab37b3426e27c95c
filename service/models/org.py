"""An organisation (one brand) and its staff."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, CreatedAt


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    MANAGER = "manager"


class Organisation(CreatedAt, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # This brand's own reminder channels (service/plans/notifiers.py); empty: the install's.
    wecom_robot_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    webhook_secret: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The brand's voice for text copies (service/posts/voice.py); a post may override either.
    voice_frame_lines: Mapped[str] = mapped_column(
        String(16), default="closer", server_default="closer"
    )
    voice_particles: Mapped[str] = mapped_column(
        String(16), default="light", server_default="light"
    )


class Staff(CreatedAt, Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
