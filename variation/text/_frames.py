"""Opener and closer lines: a few stock phrases above and below the master.

A frame line strings one to three phrases, at most one per slot and in slot order (an
opener greets, leads in, then nudges; a closer invites questions, sharing, then thanks), so
it reads like one person talking. A phrase that echoes the master is never used: it may not
share a lexicon word group or a two-character stretch (apart from a few everyday ones such
as 大家) with the master, nor with another phrase of the same copy.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from variation.text._draft import Draft
from variation.text._lexicon import CLOSER_SLOTS, OPENER_SLOTS, Lexicon, load_lexicon
from variation.text._pieces import Piece, analyse, is_punct, word_pieces
from variation.text._script import Script, to_script
from variation.text._types import Edit, TextOptions

# Two-character stretches so common that sharing them with the master is not an echo.
_EVERYDAY = frozenset({"大家", "朋友", "友们", "我们", "你们", "可以", "一下"})
# Characters kept free for later steps (a particle, a doubled ！, a longer synonym), so a
# full frame line does not push the copy past the length gate.
_SLACK = 3
_COMMA = Piece("，", "，", "punct", added=True)
# A domain is inferred only from at least this many of its lexicon words in the master.
_DOMAIN_EVIDENCE = 2


@dataclass(frozen=True, slots=True)
class _Keys:
    """What a phrase could echo: its two-character stretches (`pairs` without the everyday
    ones, which may repeat the master but not another phrase) and lexicon groups."""

    pairs: frozenset[str]
    all_pairs: frozenset[str]
    groups: frozenset[int]

    def meets(self, other: _Keys) -> bool:
        return bool(self.pairs & other.pairs or self.groups & other.groups)


def _pairs(text: str) -> set[str]:
    han = [c if "\u4e00" <= c <= "\u9fff" else " " for c in text]
    return {a + b for a, b in itertools.pairwise(han) if " " not in (a, b)}


def _keys(text: str, words: Sequence[str], lex: Lexicon) -> _Keys:
    """Keys of `text` and of every rewording the lexicon allows of it, since synonyms are
    applied after the phrases are chosen (欢迎转发 may become 欢迎分享)."""
    groups = {lex.group_of[w] for w in words if w in lex.group_of}
    pairs = _pairs(text).union(*(_pairs(w) for g in groups for w in lex.groups[g]))
    return _Keys(frozenset(pairs - _EVERYDAY), frozenset(pairs), frozenset(groups))


@functools.cache
def _phrase(text: str) -> tuple[tuple[Piece, ...], _Keys]:
    pieces = tuple(word_pieces(text, text, frozenset()))
    return pieces, _keys(text, [p.text for p in pieces], load_lexicon())


def infer_domain(words: Sequence[str], lex: Lexicon) -> str | None:
    """The non-general domain most of the master's lexicon words come from, if clear."""
    counts = Counter(lex.domains[lex.group_of[w]] for w in words if w in lex.group_of)
    counts.pop("general", None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked[0][0] if ranked and ranked[0][1] >= _DOMAIN_EVIDENCE else None


@dataclass(frozen=True, slots=True)
class FrameTables:
    """For one master: the phrases per slot that do not echo it, openers then closers."""

    openers: tuple[tuple[str, ...], ...]
    closers: tuple[tuple[str, ...], ...]


def _allowed(
    table: Mapping[str, tuple[str, ...]], slots: tuple[str, ...], domain: str | None, master: _Keys
) -> tuple[tuple[str, ...], ...]:
    lex = load_lexicon()
    lines = [*table.get("any", ()), *(table.get(domain, ()) if domain else ())]
    keep = [line for line in lines if not _phrase(line)[1].meets(master)]
    return tuple(tuple(line for line in keep if lex.frame_slot[line] == s) for s in slots)


@functools.lru_cache(maxsize=256)
def frame_tables(base: str, terms: frozenset[str], domain: str | None) -> FrameTables:
    """Phrases fit for the master `base` (cached: every rep of a post shares them)."""
    lex = load_lexicon()
    master = analyse(base, terms)
    words = [p.text for p in master.pieces if p.kind == "word"]
    view = "".join(p.text for p in master.pieces)
    keys = _keys(view, words, lex)
    domain = domain or infer_domain(words, lex)
    return FrameTables(
        _allowed(lex.openers, OPENER_SLOTS, domain, keys),
        _allowed(lex.closers, CLOSER_SLOTS, domain, keys),
    )


def _fits(line: str, room: int, pairs: set[str], groups: set[int]) -> bool:
    keys = _phrase(line)[1]
    return len(line) < room and pairs.isdisjoint(keys.all_pairs) and groups.isdisjoint(keys.groups)


def _pick(
    lines: tuple[str, ...], room: int, pairs: set[str], groups: set[int], rng: random.Random
) -> str | None:
    """A uniformly chosen line that fits: a few rejection draws (most lines fit), then a scan."""
    for _ in range(4):
        line = rng.choice(lines)
        if _fits(line, room, pairs, groups):
            return line
    fitting = [line for line in lines if _fits(line, room, pairs, groups)]
    return rng.choice(fitting) if fitting else None


def _frame_text(
    slots: tuple[tuple[str, ...], ...],
    budget: int,
    parts: int,
    rng: random.Random,
    *,
    pairs: set[str],
    groups: set[int],
) -> list[str]:
    """Up to `parts` phrases, one per chosen slot, in slot order, within `budget` chars.

    `pairs` and `groups` hold the keys of phrases already in the copy; picked phrases
    avoid them and add their own.
    """
    chosen = sorted(rng.sample(range(len(slots)), min(parts, len(slots))))
    picked: list[str] = []
    for slot in chosen:
        room = budget - sum(len(p) + 1 for p in picked)
        line = _pick(slots[slot], room, pairs, groups, rng) if slots[slot] else None
        if line is not None:
            picked.append(line)
            pairs.update(_phrase(line)[1].all_pairs)
            groups.update(_phrase(line)[1].groups)
    return picked


@functools.lru_cache(maxsize=4096)
def _phrase_pieces(phrase: str, script: Script) -> tuple[Piece, ...]:
    """The phrase's words as added pieces, written in the master's script."""
    return tuple(
        Piece(p.text, to_script(p.text, script), p.kind, added=True) for p in _phrase(phrase)[0]
    )


def _line_pieces(draft: Draft, phrases: list[str]) -> list[Piece]:
    pieces: list[Piece] = []
    for phrase in phrases:
        if pieces and not is_punct(pieces[-1].text):
            pieces.append(_COMMA)
        pieces.extend(_phrase_pieces(phrase, draft.script))
    return pieces


def add_frame_lines(
    draft: Draft,
    tables: FrameTables,
    rng: random.Random,
    options: TextOptions,
    *,
    max_length: int,
    reserve: int,
) -> None:
    """Add an opener and a closer line, each as the rates allow and the length budget fits.

    Phrases are split into words like the master, so later steps vary them too: a hundred
    phrases per table then yield many thousands of distinct frames.
    """
    # Longer posts need more added words to stay as far apart; short ones have room for two
    # phrases (the length budget decides) and nothing else that varies as much.
    length = draft.length()
    most = min(options.frame_parts, 2 + length // 150)
    least = min(most, 1 + length // 150)
    newline = Piece("\n", "\n", "newline")
    pairs: set[str] = set()  # so the closer does not echo the opener either
    groups: set[int] = set()
    for at_end, rate, slots in (
        (False, options.opener_rate, tables.openers),
        (True, options.closer_rate, tables.closers),
    ):
        if rng.random() >= rate:
            continue
        budget = max_length - length - reserve - _SLACK
        parts = rng.randint(least, most)
        phrases = _frame_text(slots, budget, parts, rng, pairs=pairs, groups=groups)
        words = _line_pieces(draft, phrases)
        if not words:
            continue
        before, after = (draft.pieces, words) if at_end else (words, draft.pieces)
        draft.pieces = [*before, newline, *after]
        draft.added_lines += 1
        text = "".join(w.orig for w in words)
        length += len(text) + 1
        draft.edits.append(Edit("closer" if at_end else "opener", "", text))
