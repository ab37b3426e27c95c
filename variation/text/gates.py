"""The fidelity gate for sentence rewrites (an LLM's, the local engine's or an editor's).

    masked = mask_protected(sentence, protected=terms)
    rejections = rewrite_rejections(masked, candidate)     # candidate in placeholder form
    if not rejections:
        alternative = restore_placeholders(masked, candidate)

A candidate is accepted only when it says the same facts in the same script: every
placeholder of the sentence exactly once and no other, no number, link, e-mail, phone,
Latin word, hashtag, mention or quote of its own, a length 0.6–1.6× the sentence's (both
with placeholders restored), the sentence's script (simplified or traditional), no line
break, no more blocklist matches than the sentence, and not the sentence itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from variation.text._lexicon import load_lexicon
from variation.text._protect import find_protected
from variation.text._script import detect_script, is_in_script
from variation.text.placeholders import (
    PLACEHOLDER,
    PLACEHOLDER_DEBRIS,
    Masked,
    mask_like,
    mask_protected,
)

MIN_LENGTH_RATIO = 0.6
MAX_LENGTH_RATIO = 1.6
_DIGIT = re.compile(r"[0-9０-９]")
# What a protected-span kind found in the candidate's own words means.
_NEW_FACT = {
    "url": "new_url",
    "email": "new_url",
    "phone": "new_number",
    "price": "new_number",
    "discount": "new_number",
    "percent": "new_number",
    "datetime": "new_number",
    "number": "new_number",
    "cn_number": "new_number",
    "latin": "new_latin",
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a candidate was refused: a stable `code` (for counting and logs) and a `detail`.

    Codes: empty, unchanged, line_break, placeholder_missing, placeholder_repeated,
    placeholder_unknown, placeholder_debris, new_number, new_url, new_latin, new_fact,
    length, script, blocklist.
    """

    code: str
    detail: str


def rewrite_rejections(masked: Masked, candidate: str) -> tuple[Rejection, ...]:
    """Every reason `candidate` (a rewrite of `masked.text`, placeholders in) may not be
    used; empty when it passes. Pure and deterministic; never raises on any string."""
    if not candidate.strip():
        return (Rejection("empty", "the candidate is empty"),)
    found = [int(m.group(1)) for m in PLACEHOLDER.finditer(candidate)]
    restored = PLACEHOLDER.sub(lambda m: _value(masked, int(m.group(1))), candidate)
    own_words = PLACEHOLDER.sub("，", candidate)  # what the candidate wrote itself
    checks = (
        _placeholders(masked, found),
        _debris(own_words),
        _unchanged(masked, restored),
        _line_break(masked, candidate),
        _new_facts(own_words),
        _length(masked, restored),
        _script(masked, own_words),
        _blocklist(masked, restored),
    )
    return tuple(rejection for group in checks for rejection in group)


def plain_rewrite_rejections(
    sentence: str, candidate: str, *, protected: tuple[str, ...] = ()
) -> tuple[Rejection, ...]:
    """The same gate for a rewrite written out in full (no placeholders): each protected
    value of `sentence` must appear in `candidate` as written, exactly as often."""
    masked = mask_protected(sentence, protected=protected)
    return rewrite_rejections(masked, mask_like(masked, candidate))


def _value(masked: Masked, number: int) -> str:
    return masked.values[number - 1] if 1 <= number <= len(masked.values) else ""


def _placeholders(masked: Masked, found: list[int]) -> list[Rejection]:
    expected = range(1, len(masked.values) + 1)
    out = [
        Rejection("placeholder_missing", f"⟦{n}⟧ ({masked.values[n - 1]!r}) is missing")
        for n in expected
        if n not in found
    ]
    out += [
        Rejection("placeholder_repeated", f"⟦{n}⟧ occurs {found.count(n)} times")
        for n in expected
        if found.count(n) > 1
    ]
    out += [
        Rejection("placeholder_unknown", f"⟦{n}⟧ is not in the sentence")
        for n in sorted(set(found))
        if n not in expected
    ]
    return out


def _debris(own_words: str) -> list[Rejection]:
    if PLACEHOLDER_DEBRIS.search(own_words):
        return [Rejection("placeholder_debris", "a broken placeholder bracket")]
    return []


def _unchanged(masked: Masked, restored: str) -> list[Rejection]:
    if restored.strip() == masked.original.strip():
        return [Rejection("unchanged", "the candidate is the sentence itself")]
    return []


def _line_break(masked: Masked, candidate: str) -> list[Rejection]:
    if candidate.count("\n") > masked.text.count("\n"):
        return [Rejection("line_break", "a sentence alternative may not break the line")]
    return []


def _new_facts(own_words: str) -> list[Rejection]:
    out = [
        Rejection(_NEW_FACT.get(span.kind, "new_fact"), f"new {span.kind} {span.text!r}")
        for span in find_protected(own_words)
    ]
    if not out and (digit := _DIGIT.search(own_words)):
        out.append(Rejection("new_number", f"new digit {digit.group()!r}"))
    return out


def _length(masked: Masked, restored: str) -> list[Rejection]:
    ratio = len(restored) / max(len(masked.original), 1)
    if MIN_LENGTH_RATIO <= ratio <= MAX_LENGTH_RATIO:
        return []
    return [Rejection("length", f"length {ratio:.2f}× the sentence's")]


def _script(masked: Masked, own_words: str) -> list[Rejection]:
    script = detect_script(masked.original)
    if is_in_script(own_words, script):
        return []
    return [Rejection("script", f"not written in {script} Chinese")]


def _blocklist(masked: Masked, restored: str) -> list[Rejection]:
    return [
        Rejection("blocklist", f"matches blocklist pattern {pattern.pattern!r}")
        for pattern in load_lexicon().blocklist
        if len(pattern.findall(restored)) > len(pattern.findall(masked.original))
    ]
