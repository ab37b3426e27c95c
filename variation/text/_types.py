"""Value types shared by the text engine's modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FrameLines = Literal["off", "closer", "after_first", "free"]
ParticleLevel = Literal["none", "light", "normal"]
FRAME_LINES: tuple[FrameLines, ...] = ("off", "closer", "after_first", "free")
PARTICLE_LEVELS: tuple[ParticleLevel, ...] = ("none", "light", "normal")


@dataclass(frozen=True, slots=True)
class Span:
    """A protected stretch of the master: [start, end) character offsets and its kind.

    Kinds: url, email, phone, price, discount, percent, datetime, number, cn_number,
    hashtag, mention, quote, latin, term (editor-given product or brand name).
    """

    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class FoldRisk:
    """Whether WeChat is likely to fold the pasted post, why, and a suggested split."""

    at_risk: bool
    reasons: tuple[str, ...]
    lines: int
    chars: int
    body: str
    first_comment: str


@dataclass(frozen=True, slots=True)
class TextOptions:
    """How much a copy may differ from the master. The defaults suit posts of 40–400 chars.

    Rates are probabilities per opportunity (per lexicon word, per sentence end, per emoji).
    Opener and closer lines are on by default: they are what separates a thousand reps. Each
    strings up to `frame_parts` phrases from the lexicon's tables (two on short posts, one
    more per 150 characters of master, as the length budget allows), never one that echoes
    the master. `domain` adds that domain's phrases to the general ones; when it is None the
    domain is inferred from the master's lexicon words (none when they are too few).
    """

    synonym_rate: float = 0.55
    punctuation_rate: float = 0.4
    particle_rate: float = 0.3
    emoji_rate: float = 0.6
    reorder: bool = True
    opener_rate: float = 1.0
    closer_rate: float = 1.0
    frame_parts: int = 3
    domain: str | None = None
    min_length_ratio: float = 0.8
    max_length_ratio: float = 1.4
    min_similarity: float = 0.6
    max_attempts: int = 40
    min_simhash_distance: int = 4
    max_jaccard: float = 0.8

    def __post_init__(self) -> None:
        rates = (
            self.synonym_rate,
            self.punctuation_rate,
            self.particle_rate,
            self.emoji_rate,
            self.opener_rate,
            self.closer_rate,
        )
        if not all(0.0 <= rate <= 1.0 for rate in rates):
            raise ValueError("TextOptions rates must lie between 0 and 1")
        if not 0 < self.min_length_ratio <= 1 <= self.max_length_ratio:
            raise ValueError("TextOptions length ratios must bracket 1")
        if self.max_attempts < 1:
            raise ValueError("TextOptions.max_attempts must be at least 1")


DEFAULT_OPTIONS = TextOptions()


@dataclass(frozen=True, slots=True)
class Voice:
    """What a brand lets the engine do where people look (the default suits most brands).

    frame_lines:
      - "off": no added lines at all;
      - "closer": one closing line below the post (the default);
      - "after_first": an opener after the post's first line (never above it) and a closer;
      - "free": an opener above the first line and a closer (the seed product's behaviour).
    particles:
      - "none": no sentence-final particle is added or swapped;
      - "light": at most one per copy (the default);
      - "normal": as many as `TextOptions.particle_rate` gives.
    The first line of every copy is the master's first line, varied only inside it, unless
    frame_lines is "free". Punctuation always keeps the master's width (see vary_text).
    """

    frame_lines: FrameLines = "closer"
    particles: ParticleLevel = "light"

    def __post_init__(self) -> None:
        if self.frame_lines not in FRAME_LINES:
            raise ValueError(f"Voice.frame_lines must be one of {FRAME_LINES}")
        if self.particles not in PARTICLE_LEVELS:
            raise ValueError(f"Voice.particles must be one of {PARTICLE_LEVELS}")


DEFAULT_VOICE = Voice()


@dataclass(frozen=True, slots=True)
class Edit:
    """One change made to the master: kind, the text before (empty for an insertion) and after."""

    kind: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class TextVariant:
    """One rep's copy. `protected` gives each protected span's offsets in `text`.

    `body` is `text` without the added frame lines and the signature: what the batch judges
    for diversity besides the whole copy. `attempts` counts the draws it took; `clears_batch`
    is False only when a batch ran out of attempts and issued its most distinct candidate
    instead (never silently: callers report it).
    """

    text: str
    seed: str
    edits: tuple[Edit, ...]
    protected: tuple[Span, ...]
    script: str
    lexicon_version: str
    body: str = ""
    attempts: int = 1
    clears_batch: bool = True
    voice: Voice = field(default=DEFAULT_VOICE)

    def fold_risk(self, *, max_lines: int = 6, max_chars: int = 100) -> FoldRisk:
        """This copy's fold risk and suggested split (body + first comment), as text."""
        from variation.text._foldrisk import fold_risk  # here: _foldrisk imports this module

        return fold_risk(
            self.text, max_lines=max_lines, max_chars=max_chars, protected=self.protected
        )
