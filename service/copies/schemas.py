"""A rep's copy as the API returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.posts.schemas import FoldRiskRead, PostRead


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


class DiversityRead(BaseModel):
    """The diversity meter: how a standard near-duplicate detector would judge the copies of
    the post's targeted reps (issued ones as they are, the rest simulated, nothing stored)."""

    reps: int = Field(description="copies judged: issued plus simulated")
    simulated: int
    pairs: int
    flagged_pairs: int = Field(description="body pairs with 5-gram Jaccard >= 0.8 or SimHash <= 3")
    flagged_share: float
    identical_bodies: int = Field(description="pairs of copies whose bodies are equal")
    bodies_equal_master: int
    distinct_bodies: int = Field(description="bodies the approved alternatives can give")
    level: Literal["good", "warn", "bad"]
    advice: str


class PreviewRead(BaseModel):
    master: PostRead
    copies: list[CopyRead]
    rep_names: list[str]
    fold_risks: list[FoldRiskRead] = Field(default=[], description="one per copy, in order")
    diversity: DiversityRead | None = None
