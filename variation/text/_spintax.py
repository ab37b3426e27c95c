r"""Editor-written alternatives in the master (spintax), picked per rep before any transform.

    {a|b|c}             one option per rendering; options may be empty: `{哦|}` is an optional word
    {限时{特惠|特价}|限量}  choices nest, at most 8 levels deep
    {text}              a group with no `|` at its own top level has one option: it renders
                        `text` and is no choice (it makes no pick and does not multiply variants)
    \{ \} \| \\         the literal character; a backslash before anything else is plain text
    a|b                 a `|` outside braces is plain text

Malformed input raises SpintaxError carrying the 0-based `position` of the offending character:
an unclosed `{` (the innermost one still open at the end), a stray `}`, a lone backslash at the
very end, or a `{` that opens a ninth level.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from variation._errors import SpintaxError

MAX_DEPTH = 8
_ESCAPABLE = frozenset("{}|\\")
_TOKEN = re.compile(r"\\[\s\S]?|[{}|]|[^{}|\\]+")
_SYNTAX = re.compile(r"[{}]|\\(?:[{}|\\]|\Z)")


@dataclass(frozen=True, slots=True)
class Choice:
    """`{a|b|…}`: at least two options, one of which each rendering uses."""

    options: tuple[Template, ...]


@dataclass(frozen=True, slots=True)
class Template:
    """Parsed spintax: literal text (escapes resolved, runs merged) and choices, in order."""

    parts: tuple[str | Choice, ...]


def has_spintax(text: str) -> bool:
    """True when `text` holds a brace or an escape, i.e. exactly when parsing and rendering it
    could give anything but `text` itself (or fail)."""
    return _SYNTAX.search(text) is not None


def parse_spintax(text: str) -> Template:
    """Parse the master's choices. Raises SpintaxError naming the offending position."""
    options, _ = _parse_options(text, 0, depth=0, opened=-1)
    return options[0]


def count_variants(template: Template) -> int:
    """How many renderings there are: one per combination of picks (an editor writing the
    same option twice, or `{a|ab}{b|}`, gives equal texts that still count separately)."""
    total = 1
    for part in template.parts:
        if isinstance(part, Choice):
            total *= _choice_count(part)
    return total


def render_spintax(template: Template, rng: random.Random) -> tuple[str, tuple[int, ...]]:
    """Pick an option uniformly, using only `rng`, at every choice met (depth-first, in reading
    order; choices inside unpicked options are not met). Returns the text and the picks."""
    out: list[str] = []
    picks: list[int] = []
    _render_random(template, rng, out, picks)
    return "".join(out), tuple(picks)


def render_spintax_index(template: Template, index: int) -> tuple[str, tuple[int, ...]]:
    """The `index`-th rendering, so a batch can give rep n variant n and spread reps evenly.

    `index` is read as a mixed-radix number whose lowest digit belongs to the first choice,
    so consecutive indices change the earliest choice first. Within a choice the options take
    turns: rounds 0, 1, … give each option that has a variant left its next one, in option
    order, so any run of indices uses the options as evenly as their variant counts allow.
    Indices 0 … count_variants-1 give every combination of picks exactly once; larger indices
    wrap around. Returns the text and the picks, as render_spintax does.
    """
    if index < 0:
        raise ValueError(f"spintax variant index must be non-negative, got {index}")
    out: list[str] = []
    picks: list[int] = []
    _render_index(template, index % count_variants(template), out, picks)
    return "".join(out), tuple(picks)


def _parse_options(text: str, at: int, *, depth: int, opened: int) -> tuple[list[Template], int]:
    """Options from `at` to the `}` closing the group opened at `opened` (or to the end at
    depth 0). Returns them and the position after the `}`."""
    options: list[Template] = []
    parts: list[str | Choice] = []
    while at < len(text):
        token = _TOKEN.match(text, at)
        assert token is not None  # the three alternatives cover every character
        piece = token.group()
        if piece == "{":
            group, at = _parse_group(text, at, depth=depth + 1)
            for part in group:
                _append(parts, part)
            continue
        if piece == "}":
            if not depth:
                raise SpintaxError("stray '}' closes nothing; write '\\}' for a brace", position=at)
            options.append(Template(tuple(parts)))
            return options, token.end()
        if piece == "|" and depth:
            options.append(Template(tuple(parts)))
            parts = []
        else:
            _append(parts, _literal(piece, at))
        at = token.end()
    if depth:
        raise SpintaxError("unclosed '{': no '}' closes it", position=opened)
    options.append(Template(tuple(parts)))
    return options, at


def _parse_group(text: str, at: int, *, depth: int) -> tuple[tuple[str | Choice, ...], int]:
    """The parts a `{` at `at` contributes (a lone option's parts inline), and where it ends."""
    if depth > MAX_DEPTH:
        raise SpintaxError(f"choices nested deeper than {MAX_DEPTH} levels", position=at)
    options, end = _parse_options(text, at + 1, depth=depth, opened=at)
    if len(options) == 1:
        return options[0].parts, end
    return (Choice(tuple(options)),), end


def _literal(piece: str, at: int) -> str:
    if not piece.startswith("\\"):
        return piece
    if len(piece) == 1:
        raise SpintaxError("lone '\\' at the end; write '\\\\' for a backslash", position=at)
    return piece[1] if piece[1] in _ESCAPABLE else piece


def _append(parts: list[str | Choice], part: str | Choice) -> None:
    """Merge adjacent literal runs, so equal templates compare equal."""
    if isinstance(part, str) and parts and isinstance(parts[-1], str):
        parts[-1] += part
    elif part:
        parts.append(part)


def _choice_count(choice: Choice) -> int:
    return sum(count_variants(option) for option in choice.options)


def _render_random(
    template: Template, rng: random.Random, out: list[str], picks: list[int]
) -> None:
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        pick = rng.randrange(len(part.options))
        picks.append(pick)
        _render_random(part.options[pick], rng, out, picks)


def _render_index(template: Template, index: int, out: list[str], picks: list[int]) -> None:
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        counts = [count_variants(option) for option in part.options]
        index, digit = divmod(index, sum(counts))
        pick, within = _take_turns(counts, digit)
        picks.append(pick)
        _render_index(part.options[pick], within, out, picks)


def _take_turns(counts: list[int], index: int) -> tuple[int, int]:
    """Option and its variant for `index` when round r gives every option with more than r
    variants its r-th one. Between two distinct counts the same options are left, so each
    such stretch of rounds is one block of equal rounds."""
    start = 0
    for level in sorted(set(counts)):
        left = [option for option, count in enumerate(counts) if count >= level]
        block = (level - start) * len(left)
        if index < block:
            return left[index % len(left)], start + index // len(left)
        index -= block
        start = level
    raise AssertionError(f"index {index} beyond the choice's {sum(counts)} variants")
