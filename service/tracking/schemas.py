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
    evidence: str  # why the tag was given, in words a rep can act on ("读了《…》2分00秒")


class ViewerRead(BaseModel):
    """One viewer, as every page and API shows them (the one viewer read model)."""

    id: int
    label: str
    rep_id: int | None  # the rep whose link brought them first
    rep_name: str
    views: int
    engaged_seconds: float
    last_seen_at: datetime | None
    created_at: datetime
    tags: list[TagRead]


class ViewerPage(BaseModel):
    total: int  # how many match in all, whatever the page
    offset: int
    limit: int
    viewers: list[ViewerRead]


class VisitRead(BaseModel):
    """One page view of the viewer, with the post's title and the rep whose link it was."""

    page_view_id: int
    post_id: int
    post_title: str
    rep_id: int
    rep_name: str
    via_viewer_id: int | None  # forwarded by another viewer
    channel: str
    opened_at: datetime
    last_event_at: datetime | None
    engaged_seconds: float  # read time: engaged, or visible where no engagement was measured
    visible_seconds: float
    max_scroll_percent: int
    sections: dict[str, float]


class ViewerDetail(ViewerRead):
    timeline: list[VisitRead]  # newest first


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
