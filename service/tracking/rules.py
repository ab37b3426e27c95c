"""Tag rules of one organisation: thresholds with the defaults of the issue, editable as JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.text import SingleLine
from service.tracking.validation import validated

MAX_TIERS = 20  # the tag job compares every viewer with every tier: 100,000 took 5 s a run


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: SingleLine = Field(min_length=1, max_length=32)
    seconds: float = Field(ge=0)


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: SingleLine = Field(min_length=1, max_length=32)
    at_least: float = Field(ge=0)
    enabled: bool = True


class Topics(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    min_seconds: float = Field(default=30, ge=0)  # engaged time behind a topic before it counts
    top: int = Field(default=3, ge=0, le=10)
    keywords_per_post: int = Field(default=5, ge=1, le=20)


class Rules(BaseModel):
    """Read-time tiers (the highest reached wins), finished, revisits, sharer, KOC, topics."""

    model_config = ConfigDict(extra="forbid")
    tiers: list[Tier] = Field(
        default_factory=lambda: [
            Tier(tag="已读", seconds=10),
            Tier(tag="细读", seconds=60),
            Tier(tag="深读", seconds=300),
        ]
    )
    finished: Threshold = Threshold(tag="读完", at_least=90)  # scroll percent
    revisits: Threshold = Threshold(tag="多次回访", at_least=3)  # page views
    sharer: Threshold = Threshold(tag="分享者", at_least=1)  # viewers their links brought
    koc: Threshold = Threshold(tag="KOC", at_least=5)  # viewers downstream of their shares
    topics: Topics = Topics()

    @field_validator("tiers", mode="before")
    @classmethod
    def _few_tiers(cls, value: Any) -> Any:
        # Before parsing: 100,000 tiers are refused without building 100,000 models.
        if isinstance(value, list) and len(value) > MAX_TIERS:
            raise ValueError(
                f"阅读时长档位最多 {MAX_TIERS} 个，收到 {len(value)} 个"
                f"（at most {MAX_TIERS} tiers, got {len(value)}）"
            )
        return value

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def parse_rules(data: dict[str, Any]) -> Rules:
    return validated(Rules, data, code="invalid_rules")
