"""Staff management requests."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from service.models import Role
from service.text import Email, SingleLine


class StaffCreate(BaseModel):
    email: Email = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)
    role: Role = Role.EDITOR


class ReminderChannels(BaseModel):
    """An organisation's reminder channels as shown to its admins (secrets masked)."""

    wecom_robot_url: str = Field(description="masked: the key's last four characters")
    webhook_url: str
    webhook_secret_set: bool


class ReminderChannelsUpdate(BaseModel):
    """Fields to change; an empty string clears one (the install's channel applies again)."""

    model_config = {"extra": "forbid"}

    wecom_robot_url: SingleLine | None = Field(default=None, max_length=500)
    webhook_url: SingleLine | None = Field(default=None, max_length=500)
    webhook_secret: SingleLine | None = Field(default=None, max_length=200)


class OrgVoice(BaseModel):
    """The organisation's default brand voice (service/orgs/voice.py)."""

    frame_lines: Literal["off", "closer", "after_first", "free"]
    particles: Literal["none", "light", "normal"]


class OrgVoiceUpdate(BaseModel):
    model_config = {"extra": "forbid"}

    frame_lines: Literal["off", "closer", "after_first", "free"] | None = None
    particles: Literal["none", "light", "normal"] | None = None
