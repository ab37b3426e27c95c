"""Rewrite-provider settings and suggestion requests."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

MAX_SENTENCE_CHARS = 500


class ProviderRead(BaseModel):
    """The organisation's provider as its admins see it: never the key, only its hint."""

    configured: bool
    base_url: str = ""
    model: str = ""
    key_hint: str = Field(default="", description="e.g. sk-…abcd")


class ProviderUpdate(BaseModel):
    model_config = {"extra": "forbid"}

    base_url: str = Field(min_length=1, max_length=500)
    model: str = Field(min_length=1, max_length=200)
    api_key: str | None = Field(
        default=None, max_length=500, description="omit to keep the stored key"
    )


class SuggestionRequest(BaseModel):
    model_config = {"extra": "forbid"}

    sentence: str = Field(min_length=1, max_length=MAX_SENTENCE_CHARS)
    protected: list[str] = Field(default=[], max_length=50)
    count: int = Field(default=3, ge=1, le=5)


class SuggestionsRead(BaseModel):
    source: Literal["llm", "local"]
    suggestions: list[str]
    rejected: int = Field(description="candidates dropped by the fidelity gate")
