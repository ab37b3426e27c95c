"""Rep requests and responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.text import Email, SingleLine
from service.timezones import zone

_NAME = Field(min_length=1, max_length=100)


class RepFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    team: SingleLine = Field(default="", max_length=100)
    phone: SingleLine = Field(default="", max_length=40)
    external_id: SingleLine | None = Field(default=None, max_length=100)
    email: Email = Field(default="", max_length=320)
    timezone: SingleLine | None = Field(default=None, max_length=64)

    @field_validator("external_id")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return _check_timezone(value)


def _check_timezone(value: str | None) -> str | None:
    """An IANA name such as Asia/Shanghai (slots and reminders use the rep's local time)."""
    if value and zone(value) is None:
        raise ValueError(f"unknown timezone {value!r}; use an IANA name such as Asia/Shanghai")
    return value or None


class RepCreate(RepFields):
    name: SingleLine = _NAME


class RepUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine | None = Field(default=None, min_length=1, max_length=100)
    team: SingleLine | None = Field(default=None, max_length=100)
    phone: SingleLine | None = Field(default=None, max_length=40)
    external_id: SingleLine | None = Field(default=None, max_length=100)
    email: Email | None = Field(default=None, max_length=320)
    timezone: SingleLine | None = Field(default=None, max_length=64)
    active: bool | None = None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return _check_timezone(value)


class RepRead(BaseModel):
    id: int
    name: str
    team: str
    phone: str
    external_id: str | None
    email: str
    timezone: str | None
    active: bool
    url: str = Field(description="The rep's personal link (signed; rotate it to revoke).")
    created_at: datetime


class ImportResult(BaseModel):
    created: int
    updated: int
    reps: list[RepRead]
