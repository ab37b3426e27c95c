"""Staff management requests."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.models import Role


class StaffCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)
    role: Role = Role.EDITOR
