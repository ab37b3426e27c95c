"""Fidelity gates: checks every copy must pass before it may be issued.

Each gate returns a reason when it fails, so a rejected draw can be explained in tests and
reports. Gates compare the copy with the master after the editor's choices were made.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from rapidfuzz.distance import Indel

from variation.text._lexicon import Lexicon
from variation.text._pieces import Analysis
from variation.text._script import is_in_script
from variation.text._types import Span, TextOptions

# Characters that, written right next to a link or a number, would be read as part of it.
_URL_GLUE = re.compile(r"[A-Za-z0-9._%+\-/:?#&=~@]")
_DIGIT_GLUE = re.compile(r"[0-9０-９\-]")


def _protected_intact(master: Analysis, text: str) -> str | None:
    for value in {span.text for span in master.spans}:
        if text.count(value) != master.base.count(value):
            return f"protected text {value!r} changed"
    return None


def _neighbours(text: str, span: Span) -> tuple[str, str]:
    return (text[span.start - 1] if span.start else "", text[span.end : span.end + 1])


def _not_glued(master: Analysis, text: str, spans: Sequence[Span]) -> str | None:
    for before, after in zip(master.spans, spans, strict=True):
        if before.kind not in {"url", "email", "phone"}:
            continue
        glue = _DIGIT_GLUE if before.kind == "phone" else _URL_GLUE
        was = _neighbours(master.base, before)
        for now, old in zip(_neighbours(text, after), was, strict=True):
            if now != old and glue.fullmatch(now or " "):
                return f"{now!r} written against {before.text!r}"
    return None


def _lines_kept(master: Analysis, text: str, added_lines: int) -> str | None:
    expected = master.base.count("\n") + added_lines
    return None if text.count("\n") == expected else "line breaks changed"


def _length_ok(master: Analysis, text: str, options: TextOptions) -> str | None:
    ratio = len(text) / max(len(master.base), 1)
    if options.min_length_ratio <= ratio <= options.max_length_ratio:
        return None
    return f"length ratio {ratio:.2f} out of bounds"


def _one_script(master: Analysis, added: Sequence[str]) -> str | None:
    for piece in added:
        if not is_in_script(piece, master.script):
            return f"{piece!r} is not {master.script} Chinese"
    return None


@functools.lru_cache(maxsize=256)
def _blocked_in_master(base: str, blocklist: tuple[re.Pattern[str], ...]) -> tuple[int, ...]:
    return tuple(len(pattern.findall(base)) for pattern in blocklist)


def _not_blocked(master: Analysis, text: str, lex: Lexicon) -> str | None:
    allowed = _blocked_in_master(master.base, lex.blocklist)
    for pattern, count in zip(lex.blocklist, allowed, strict=True):
        if len(pattern.findall(text)) > count:
            return f"blocklisted pattern {pattern.pattern!r}"
    return None


def _similar(master: Analysis, text: str, options: TextOptions) -> str | None:
    similarity = Indel.normalized_similarity(master.base, text)
    return None if similarity >= options.min_similarity else f"similarity {similarity:.2f}"


def failed_gates(
    master: Analysis,
    text: str,
    *,
    spans: Sequence[Span],
    added: Sequence[str],
    added_lines: int,
    lex: Lexicon,
    options: TextOptions,
) -> list[str]:
    """Reasons the copy may not be issued; empty when it passes every gate."""
    checks = (
        _protected_intact(master, text),
        _not_glued(master, text, spans),
        _lines_kept(master, text, added_lines),
        _length_ok(master, text, options),
        _one_script(master, added),
        _not_blocked(master, text, lex),
        _similar(master, text, options),
    )
    return [reason for reason in checks if reason]
