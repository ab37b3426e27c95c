"""An organisation's rewrite-suggestion provider: any OpenAI Chat Completions endpoint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, UTCDateTime, utcnow


class RewriteProvider(Base):
    """None for an organisation: the local engine's rewrites are the suggestions."""

    __tablename__ = "rewrite_providers"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500))
    model: Mapped[str] = mapped_column(String(200))
    # The API key, encrypted (service/encryption.py); `key_hint` is all that is ever shown.
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    key_hint: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
