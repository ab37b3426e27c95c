"""Publish-plan requests and responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from service.text import SingleLine


class PublishRequest(BaseModel):
    """All optional: no window means now to now + 2 h (Settings.default_window_minutes).
    Times without an offset are read in the organisation's default timezone."""

    model_config = ConfigDict(extra="forbid")

    window_start: datetime | None = None
    window_end: datetime | None = None
    quiet_hours: list[SingleLine] | None = None  # ["22:00", "08:00"], in each rep's local time
    teams: list[SingleLine] | None = None  # None or empty: every active rep


class PlanItemRead(BaseModel):
    rep_id: int
    rep_name: str
    team: str
    slot_at: datetime
    copy_ready: bool
    reminded_at: datetime | None
    second_reminded_at: datetime | None
    posted_at: datetime | None
    reminder_failed: bool


class PlanRead(BaseModel):
    post_id: int
    window_start: datetime
    window_end: datetime
    quiet_hours: list[str]
    teams: list[str]
    reps: int
    copies_ready: int
    reminded: int
    posted: int
    execution_rate: float  # posted / reps
    reminders_failed: int
    items: list[PlanItemRead]


class RepHistoryItem(BaseModel):
    post_id: int
    title: str
    slot_at: datetime
    reminded_at: datetime | None
    posted_at: datetime | None
