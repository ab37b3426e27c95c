"""The master taken apart: protected spans, emoji, punctuation, line breaks and words.

Transforms rearrange and replace pieces; protected pieces pass through untouched, so the
copy can only differ from the master where a piece says it may.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from dataclasses import dataclass

from variation.text._lexicon import load_lexicon
from variation.text._protect import find_protected
from variation.text._script import Script, to_simplified, to_traditional
from variation.text._tokenizer import cut
from variation.text._types import Span

# A whole emoji sequence: flags, keycaps, or a base with its variation selector, skin tone and
# ZWJ-joined parts. Transforms treat it as one piece and never edit inside it.
_PIC = (
    r"[\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\u2300-\u23FF"
    r"\u3030\u303D\u3297\u3299\U0001F000-\U0001FAFF]"
)
_MOD = r"\uFE0F?[\U0001F3FB-\U0001F3FF]?"
EMOJI = re.compile(
    rf"[\U0001F1E6-\U0001F1FF]{{2}}|[0-9#*]\uFE0F?\u20E3|{_PIC}{_MOD}(?:\u200D{_PIC}{_MOD})*"
)
_SPLIT = re.compile(rf"(\n|[ \t\u3000]+|{EMOJI.pattern})")
# Punctuation that exists in both widths; a copy keeps the master's width (see `width`).
FULL_WIDTH = "，。！？：；～（）"
HALF_WIDTH = ",.!?:;~()"
TO_HALF = str.maketrans(FULL_WIDTH, HALF_WIDTH)
TO_FULL = str.maketrans(HALF_WIDTH, FULL_WIDTH)


@dataclass(frozen=True, slots=True)
class Piece:
    """`text` is the simplified working view; `orig` is how the master wrote it."""

    text: str
    orig: str
    kind: str  # word | protected | emoji | punct | space | newline
    span_kind: str = ""
    span_index: int = -1  # which of the master's protected spans this piece is
    added: bool = False  # an opener/closer phrase: synonyms may vary it, nothing else


@dataclass(frozen=True, slots=True)
class Analysis:
    base: str
    script: Script
    spans: tuple[Span, ...]
    pieces: tuple[Piece, ...]
    terms: frozenset[str]
    width: str  # "full" or "half" when the master's own punctuation uses one width, else "mixed"


def is_punct(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PS" for ch in token)


def _gap_pieces(view: str, orig: str, terms: frozenset[str]) -> list[Piece]:
    pieces: list[Piece] = []
    at = 0
    for chunk in _SPLIT.split(view):
        if not chunk:
            continue
        source = orig[at : at + len(chunk)]
        at += len(chunk)
        if chunk == "\n":
            pieces.append(Piece(chunk, source, "newline"))
        elif chunk.isspace():
            pieces.append(Piece(chunk, source, "space"))
        elif EMOJI.fullmatch(chunk):
            pieces.append(Piece(chunk, source, "emoji"))
        else:
            pieces.extend(word_pieces(chunk, source, terms))
    return pieces


def word_pieces(view: str, orig: str, terms: frozenset[str]) -> list[Piece]:
    """Words of a stretch without spans; a fixed phrase (data/fixed.txt) is kind "fixed",
    which no transform rewords or writes into."""
    fixed = load_lexicon().fixed
    pieces, at = [], 0
    for word in cut(view, terms):
        kind = "punct" if is_punct(word) else "fixed" if word in fixed else "word"
        pieces.append(Piece(word, orig[at : at + len(word)], kind))
        at += len(word)
    return pieces


@functools.lru_cache(maxsize=256)
def analyse(base: str, terms: frozenset[str]) -> Analysis:
    """Pieces of `base` (spintax already resolved); cached because every rep shares them.

    Built line by line, each line cached: no protected pattern, emoji or word crosses a
    line break, so this equals analysing the whole text, and a master with sentence
    alternatives (a new `base` per rep) only pays for the lines it has not seen.
    """
    lines = base.split("\n")
    script = _script(lines)
    spans: list[Span] = []
    pieces: list[Piece] = []
    at = 0
    for n, line in enumerate(lines):
        if n:
            pieces.append(Piece("\n", "\n", "newline"))
        line_spans, line_pieces = _line(line, terms, script)
        first = len(spans)
        spans += [Span(s.start + at, s.end + at, s.kind, s.text) for s in line_spans]
        pieces += _numbered(line, terms, script, first) if first and line_spans else line_pieces
        at += len(line) + 1
    return Analysis(base, script, tuple(spans), tuple(pieces), terms, _width(pieces))


@functools.lru_cache(maxsize=8192)
def _numbered(line: str, terms: frozenset[str], script: Script, first: int) -> tuple[Piece, ...]:
    """The line's pieces with its spans numbered from `first` (the spans of the lines above):
    cached, as lines recur in every rep's combination at the same place."""
    return tuple(
        dataclasses.replace(p, span_index=p.span_index + first) if p.span_index >= 0 else p
        for p in _line(line, terms, script)[1]
    )


def _script(lines: list[str]) -> Script:
    """detect_script of the whole text, from cached per-line counts."""
    to_simp = to_trad = 0
    for line in lines:
        simp, trad = _script_changes(line)
        to_simp, to_trad = to_simp + simp, to_trad + trad
    return "traditional" if to_simp > to_trad else "simplified"


@functools.lru_cache(maxsize=8192)
def _script_changes(line: str) -> tuple[int, int]:
    return (
        sum(a != b for a, b in zip(line, to_simplified(line), strict=False)),
        sum(a != b for a, b in zip(line, to_traditional(line), strict=False)),
    )


@functools.lru_cache(maxsize=8192)
def _line(
    line: str, terms: frozenset[str], script: Script
) -> tuple[tuple[Span, ...], tuple[Piece, ...]]:
    spans = find_protected(line, tuple(sorted(terms)))
    view = to_simplified(line) if script == "traditional" else line
    if len(view) != len(line):  # conversion changed lengths: no alignment, work as written
        view = line
    pieces: list[Piece] = []
    at = 0
    for index, span in enumerate(spans):
        pieces += _gap_pieces(view[at : span.start], line[at : span.start], terms)
        pieces.append(Piece(span.text, span.text, "protected", span.kind, index))
        at = span.end
    pieces += _gap_pieces(view[at:], line[at:], terms)
    return spans, tuple(pieces)


def _width(pieces: list[Piece]) -> str:
    marks = "".join(p.text for p in pieces if p.kind == "punct")
    full = any(ch in FULL_WIDTH for ch in marks)
    half = any(ch in HALF_WIDTH for ch in marks)
    return "mixed" if full and half else "half" if half else "full"
