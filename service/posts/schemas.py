"""Post requests and responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from service.text import MultiLine, SingleLine

MAX_IMAGES = 9  # WeChat Moments' limit
MAX_TEXT_CHARS = 2000  # WeChat Moments' limit
MAX_IMAGE_BYTES = 10 * 1024 * 1024


class PostCreate(BaseModel):
    title: SingleLine
    text: MultiLine
    protected: list[SingleLine] = []
    article: MultiLine | None = None


class ImageRead(BaseModel):
    position: int
    width: int
    height: int
    url: str


class FoldRiskRead(BaseModel):
    at_risk: bool
    reasons: list[str]
    lines: int
    chars: int
    body: str
    first_comment: str


class PostRead(BaseModel):
    id: int
    title: str
    text: str
    article: str | None
    protected: list[str]
    status: str
    images: list[ImageRead]
    fold_risk: FoldRiskRead
    created_at: datetime
    published_at: datetime | None
