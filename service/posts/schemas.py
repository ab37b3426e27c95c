"""Post requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.text import MultiLine, SingleLine

MAX_IMAGES = 9  # WeChat Moments' limit
MAX_TEXT_CHARS = 2000  # WeChat Moments' limit
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_ALTERNATIVES = 10  # per sentence
MAX_ALTERNATIVE_CHARS = 500

FrameLines = Literal["off", "closer", "after_first", "free"]
Particles = Literal["none", "light", "normal"]


class AlternativeIn(BaseModel):
    text: str = Field(max_length=MAX_ALTERNATIVE_CHARS)
    approved: bool = True


class SentenceIn(BaseModel):
    """One sentence of the post as `split` gives it, with the editor's alternatives."""

    text: str = Field(max_length=MAX_TEXT_CHARS)
    alternatives: list[AlternativeIn] = Field(default=[], max_length=MAX_ALTERNATIVES)


class AlternativesUpdate(BaseModel):
    """A new version of the post's alternatives. `base_version`: the version the editor
    started from; when another edit was saved since, the update is refused (409)."""

    model_config = {"extra": "forbid"}

    sentences: list[SentenceIn] = Field(max_length=MAX_TEXT_CHARS)
    base_version: int | None = None


class SentencesRequest(BaseModel):
    """A text not yet saved, split as the post would be (the new-post form asks for this)."""

    model_config = {"extra": "forbid"}

    text: str = Field(max_length=MAX_TEXT_CHARS)
    protected: list[str] = Field(default=[], max_length=100)
    sentences: list[SentenceIn] | None = None


class SentenceRead(BaseModel):
    text: str
    tail: str
    alternatives: list[AlternativeIn]


class AlternativesRead(BaseModel):
    version: int
    sentences: list[SentenceRead]
    distinct_bodies: int = Field(description="different bodies the approved alternatives give")


class VoiceRead(BaseModel):
    """The post's brand voice; null: the organisation's default applies."""

    frame_lines: FrameLines | None
    particles: Particles | None


class VoiceUpdate(BaseModel):
    model_config = {"extra": "forbid"}

    frame_lines: FrameLines | None = None
    particles: Particles | None = None


class PostCreate(BaseModel):
    title: SingleLine
    text: MultiLine
    protected: list[SingleLine] = []
    article: MultiLine | None = None
    frame_lines: FrameLines | None = None  # None: the organisation's default
    particles: Particles | None = None
    sentences: list[SentenceIn] | None = None  # None: the text's sentences, no alternatives


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
    voice: VoiceRead | None = None
    text_version: int = 1
