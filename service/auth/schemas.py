"""Login, session and staff requests and responses (the login body itself: service.auth.login)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class StaffRead(BaseModel):
    id: int
    email: str
    role: str
    org_id: int
    org_slug: str | None = None
    active: bool = True


class StaffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class RevokedRead(BaseModel):
    revoked: int = Field(description="sessions ended")
