"""A post's text as sentences, each with the editor's alternatives, and their spintax form.

SEAM: issue 17 puts the sentence structure in `variation.text` (helper "text"); until its
public split/emit/count functions land, this module implements the same contract on the
engine's public `find_protected` and `parse_spintax`, and is the one place to swap them in:

- `split(text)`: sentences split after 。！？!?… (with closing quotes) and at line breaks,
  never inside a protected span or an inline `{…}` choice; each sentence's `tail` is the
  whitespace after it, so the texts and tails joined give `text` back exactly.
- `to_spintax(sentences)`: `{sentence|alt 1|alt 2}` for each sentence with approved
  alternatives (alternatives' own braces escaped), so the engine spreads reps over them as it
  does for inline spintax.
- `distinct_bodies(sentences)`: how many different bodies the approved alternatives (and any
  inline choices) give.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from variation.text import find_protected, has_spintax, parse_spintax

_ENDS = frozenset("。！？!?…")
_CLOSERS = frozenset("”’」』）)】》\"'")
_SPACE = frozenset(" \t\u3000\n\r")
_SPECIAL = re.compile(r"([{}|\\])")


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
        """The approved alternatives that differ from the sentence and each other."""
        seen = {self.text}
        out = []
        for alternative in self.alternatives:
            text = alternative.text.strip()
            if alternative.approved and text and text not in seen:
                seen.add(text)
                out.append(text)
        return out


def split(text: str, *, protected: Sequence[str] = ()) -> list[Sentence]:
    covered = _protected_positions(text, protected)
    sentences: list[Sentence] = []
    start, at, depth = 0, 0, 0
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
            continue
        depth = depth + 1 if char == "{" else max(0, depth - 1) if char == "}" else depth
        if depth or at in covered or (char not in _ENDS and char != "\n"):
            at += 1
            continue
        end = at if char == "\n" else _past(text, at + 1, _ENDS | _CLOSERS)
        after = _past(text, end, _SPACE)
        _add(sentences, text[start:end], text[end:after])
        start = at = after
    if start < len(text):
        _add(sentences, text[start:], "")
    return sentences


def to_spintax(sentences: Sequence[Sentence]) -> str:
    parts = []
    for sentence in sentences:
        options = sentence.approved()
        if options:
            escaped = "|".join(_SPECIAL.sub(r"\\\1", option) for option in options)
            parts.append(f"{{{sentence.text}|{escaped}}}{sentence.tail}")
        else:
            parts.append(sentence.text + sentence.tail)
    return "".join(parts)


def distinct_bodies(sentences: Sequence[Sentence]) -> int:
    total = 1
    for sentence in sentences:
        inline = _variants(parse_spintax(sentence.text)) if has_spintax(sentence.text) else 1
        total *= inline + len(sentence.approved())
    return total


def join(sentences: Sequence[Sentence]) -> str:
    return "".join(sentence.text + sentence.tail for sentence in sentences)


def _protected_positions(text: str, protected: Sequence[str]) -> set[int]:
    return {
        at
        for span in find_protected(text, tuple(protected))
        for at in range(span.start, span.end - 1)  # a span may end on a 。 ("4月30日。")
    }


def _past(text: str, at: int, chars: frozenset[str]) -> int:
    while at < len(text) and text[at] in chars:
        at += 1
    return at


def _add(sentences: list[Sentence], text: str, tail: str) -> None:
    if not text.strip() and sentences:  # a blank line: the previous sentence's tail
        last = sentences[-1]
        sentences[-1] = Sentence(last.text, last.tail + text + tail, last.alternatives)
    else:
        sentences.append(Sentence(text, tail))


def _variants(template: Any) -> int:
    """Renderings of a parsed template (`Template.parts`: strings and `Choice.options`)."""
    total = 1
    for part in template.parts:
        if not isinstance(part, str):
            total *= sum(_variants(option) for option in part.options)
    return total
