"""A rep's copy as the API returns it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from service.posts.schemas import PostRead


class CopyImageRead(BaseModel):
    position: int
    url: str


class CopyRead(BaseModel):
    post_id: int
    rep_id: int
    title: str
    text: str
    images: list[CopyImageRead]
    created_at: datetime
    published_at: datetime | None
    posted_at: datetime | None
    share_url: str | None = None  # the rep's tracked link for this post


class PostedRead(BaseModel):
    post_id: int
    rep_id: int
    posted_at: datetime


class PreviewRead(BaseModel):
    master: PostRead
    copies: list[CopyRead]
    rep_names: list[str]
