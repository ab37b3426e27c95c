"""Sentence alternatives: a post as sentences, each with the wordings an editor approved.

    sentences = split_sentences(master, protected=terms)          # one option each
    sentences = (replace(s, options=(*s.options, rewrite)) ...)  # the editor adds rewrites
    text = sentences_to_spintax(sentences)    # what vary_text / issue_text_copies take
    parse_sentence_spintax(text) == sentences
    count_bodies(sentences)                   # distinct bodies the alternatives give

A sentence ends after a run of 。！？!?… (with any closing quote or bracket after it) or at
a line break; a protected span (a link's `?`, a quote) is never split. Inline spintax is the
text syntax of the same structure: `{限时|限量}特惠来啦！` is one sentence with two options.
The batch spreads reps evenly over the combinations of options (see vary_text's `slot`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from variation._errors import SpintaxError
from variation.text._protect import find_protected
from variation.text._spintax import count_variants, parse_spintax, render_spintax_index

# More renderings than this in one sentence is a mistake, not a set of alternatives.
MAX_OPTIONS = 64
_END_RUN = re.compile(r"[。！？!?…]+[”’」』）)】》\"']*")
_SPACE_RUN = re.compile(r"[ \t\u3000]*(?:\n[ \t\u3000]*)*")
_ESCAPE = re.compile(r"([{}|\\])")


@dataclass(frozen=True, slots=True)
class Sentence:
    """`options[0]` is the master's wording, the rest editor-approved alternatives (same
    facts, same protected spans); `end` is the whitespace after it ("" or line breaks)."""

    options: tuple[str, ...]
    end: str = ""

    def __post_init__(self) -> None:
        if not self.options or not all(option.strip() for option in self.options):
            raise ValueError("a sentence needs at least one non-empty option")

    @property
    def text(self) -> str:
        return self.options[0]


def split_sentences(master: str, *, protected: Sequence[str] = ()) -> tuple[Sentence, ...]:
    """`master` (plain text, braces taken literally) as sentences with one option each;
    joining `text + end` of every sentence gives `master` back."""
    return tuple(Sentence((unit,), end) for unit, end in _units(master, protected, spintax=False))


def parse_sentence_spintax(text: str, *, protected: Sequence[str] = ()) -> tuple[Sentence, ...]:
    """Sentences of a spintax master: each top-level sentence's distinct renderings are
    its options, in rendering order. Raises SpintaxError for malformed spintax or a
    sentence with more than MAX_OPTIONS renderings."""
    sentences = []
    for unit, end in _units(text, protected, spintax=True):
        template = parse_spintax(unit)
        total = count_variants(template)
        if total > MAX_OPTIONS:
            raise SpintaxError(f"a sentence has {total} variants, over {MAX_OPTIONS}", position=0)
        renderings = (render_spintax_index(template, i)[0] for i in range(total))
        sentences.append(Sentence(tuple(dict.fromkeys(r for r in renderings if r.strip())), end))
    return tuple(sentences)


def sentences_to_spintax(sentences: Sequence[Sentence]) -> str:
    """The text syntax of `sentences`: `{a|b}` for a sentence with options, its text
    (escaped) otherwise. parse_sentence_spintax gives the same sentences back."""
    parts = []
    for sentence in sentences:
        options = [_ESCAPE.sub(r"\\\1", option) for option in dict.fromkeys(sentence.options)]
        unit = "{" + "|".join(options) + "}" if len(options) > 1 else options[0]
        parts.append(unit + sentence.end)
    return "".join(parts)


def join_sentences(sentences: Sequence[Sentence]) -> str:
    """The master: every sentence's first option and its end."""
    return "".join(s.text + s.end for s in sentences)


def count_bodies(sentences: Sequence[Sentence]) -> int:
    """How many distinct bodies the options give: the product of distinct options."""
    return math.prod(len(set(s.options)) for s in sentences)


def _units(text: str, protected: Sequence[str], *, spintax: bool) -> list[tuple[str, str]]:
    """(sentence, whitespace after it) pairs; with `spintax`, splits only at depth 0."""
    inside = _protected_positions(text, protected)
    units: list[tuple[str, str]] = []
    start = at = depth = 0
    while at < len(text):
        char = text[at]
        if spintax and char == "\\":
            at += 2
            continue
        if spintax and char in "{}":
            depth += 1 if char == "{" else -1
            at += 1
            continue
        end = _boundary(text, at, inside) if depth == 0 else None
        if end is None:
            at += 1
            continue
        space = _SPACE_RUN.match(text, end)
        stop = space.end() if space else end
        if "\n" in text[end:stop] or stop == len(text) or end > at:
            units.append((text[start:end], text[end:stop]))
            start = at = stop
        else:
            at = end
    if start < len(text):
        units.append((text[start:], ""))
    return [(unit, end) for unit, end in units if unit] or [(text, "")]


def _boundary(text: str, at: int, inside: set[int]) -> int | None:
    """Where the sentence running into `at` ends, if it ends at `at`: after an end-mark run
    or just before a line break; None elsewhere or inside a protected span."""
    if at in inside:
        return None
    if text[at] == "\n":
        return at
    match = _END_RUN.match(text, at)
    if match and not any(i in inside for i in range(at, match.end())):
        return match.end()
    return None


def _protected_positions(text: str, protected: Sequence[str]) -> set[int]:
    spans = find_protected(text, tuple(protected))
    return {i for span in spans for i in range(span.start, span.end)}
