"""Rep requests and responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

_NAME = Field(min_length=1, max_length=100)


class RepFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    team: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    external_id: str | None = Field(default=None, max_length=100)

    @field_validator("external_id")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class RepCreate(RepFields):
    name: str = _NAME


class RepUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    team: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    external_id: str | None = Field(default=None, max_length=100)
    active: bool | None = None


class RepRead(BaseModel):
    id: int
    name: str
    team: str
    phone: str
    external_id: str | None
    active: bool
    url: str = Field(description="The rep's personal link (signed; rotate it to revoke).")
    created_at: datetime


class ImportResult(BaseModel):
    created: int
    updated: int
    reps: list[RepRead]
