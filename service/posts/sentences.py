"""A post's text as sentences, each with the editor's alternatives (ticked or not).

The structure and its text syntax are the engine's (variation.text.sentences): sentences
split after 。！？!?… and at line breaks, never inside a protected span; inline spintax
`{a|b}` is the text form of the same thing, so a sentence written with inline choices shows
its first rendering as the sentence and the others as (ticked) alternatives. This module adds
only what the service stores beside it: whether the editor ticked each alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from variation import VariationError
from variation.text import Sentence as EngineSentence
from variation.text import (
    count_bodies,
    has_spintax,
    parse_sentence_spintax,
    sentences_to_spintax,
    split_sentences,
)


@dataclass(frozen=True)
class Alternative:
    text: str
    approved: bool = True


@dataclass(frozen=True)
class Sentence:
    text: str
    tail: str = ""
    alternatives: tuple[Alternative, ...] = field(default_factory=tuple)

    def approved(self) -> list[str]:
        """The ticked alternatives that differ from the sentence and from each other."""
        seen = {self.text}
        out = []
        for alternative in self.alternatives:
            text = alternative.text.strip()
            if alternative.approved and text and text not in seen:
                seen.add(text)
                out.append(text)
        return out


def split(text: str, *, protected: Sequence[str] = ()) -> list[Sentence]:
    """`text`'s sentences; inline choices become the sentence's ticked alternatives. Raises
    SpintaxError for malformed choices or a sentence with too many renderings."""
    if not text.strip():
        return []
    try:
        if has_spintax(text):
            parsed = parse_sentence_spintax(text, protected=tuple(protected))
        else:
            parsed = split_sentences(text, protected=tuple(protected))
    except VariationError:
        raise
    except ValueError:  # a unit the engine's structure refuses (e.g. a lone "\r"): one sentence
        return [Sentence(text)]
    return [
        Sentence(s.options[0], s.end, tuple(Alternative(option) for option in s.options[1:]))
        for s in parsed
    ]


def split_or_whole(text: str, *, protected: Sequence[str] = ()) -> list[Sentence]:
    """As `split`, but a text the structure cannot hold is one sentence (never raises)."""
    try:
        return split(text, protected=protected)
    except VariationError:
        return [Sentence(text)] if text.strip() else []


def _engine(sentences: Sequence[Sentence]) -> list[EngineSentence]:
    return [EngineSentence((s.text, *s.approved()), s.tail) for s in sentences if s.text.strip()]


def to_spintax(sentences: Sequence[Sentence]) -> str:
    """The engine's text form: `{sentence|alt 1|alt 2}` for each sentence with ticked
    alternatives, so reps spread evenly over the combinations."""
    return sentences_to_spintax(_engine(sentences))


def distinct_bodies(sentences: Sequence[Sentence]) -> int:
    return count_bodies(_engine(sentences)) if sentences else 1
