"""Read tracking as the API returns it: times in seconds, scroll in percent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from service.text import SingleLine


class ViewRead(BaseModel):
    id: int
    post_id: int
    viewer_id: int
    rep_id: int
    parent_viewer_id: int | None
    channel: str
    opened_at: datetime
    last_event_at: datetime | None
    engaged_seconds: float | None
    visible_seconds: float
    max_scroll_percent: int
    sections: dict[str, float]


class TagRead(BaseModel):
    tag: str
    kind: str
    evidence: str


class ViewerRead(BaseModel):
    id: int
    label: str
    first_rep_id: int | None
    views: int
    engaged_seconds: float
    last_seen_at: datetime | None
    created_at: datetime
    tags: list[TagRead]


class ViewerDetail(ViewerRead):
    page_views: list[ViewRead]


class ViewerLabel(BaseModel):
    label: SingleLine = Field(max_length=100)


class ShareNode(BaseModel):
    viewer_id: int
    label: str
    views: int
    engaged_seconds: float
    channel: str
    children: list[ShareNode]


class RepBranch(BaseModel):
    rep_id: int
    rep_name: str
    children: list[ShareNode]


class ShareTree(BaseModel):
    post_id: int
    reps: list[RepBranch]


class TagRulesBody(BaseModel):
    rules: dict[str, Any]


class ViewerExport(BaseModel):
    viewer: ViewerDetail
    cookie_id: str
    openid: str | None
