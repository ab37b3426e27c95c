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
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from variation.text._draft import Draft
from variation.text._lexicon import CLOSER_SLOTS, OPENER_SLOTS, Lexicon, load_lexicon
from variation.text._pieces import Piece, analyse, is_punct, word_pieces
from variation.text._script import Script, to_script
from variation.text._types import Edit, TextOptions, Voice

# Two-character stretches so common that sharing them with the master is not an echo.
_EVERYDAY = frozenset({"大家", "朋友", "友们", "我们", "你们", "可以", "一下"})
# Characters kept free for later steps (a particle, a doubled ！, a longer synonym), so a
# full frame line does not push the copy past the length gate.
_SLACK = 3
_COMMA = Piece("，", "，", "punct", added=True)
# A domain is inferred only from at least this many of its words in the master.
_DOMAIN_EVIDENCE = 2
# A sentence-final particle: what `Voice.particles` limits, in frame lines as in the body.
PARTICLE = re.compile(r"[哦呢啦呀哈喔哟咯嘛吧噢喽啰囉](?=[，。！？～!?~、,\s]|$)")
_SALES_SPANS = frozenset({"price", "discount"})


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


def infer_domain(words: Sequence[str], lex: Lexicon, view: str = "") -> str | None:
    """The non-general domain the master is clearly about, if any: the one with most hits
    among its lexicon words and its domain keywords (data/domains.txt) found in `view`, at
    least two and strictly more than any other domain's."""
    counts = Counter(lex.domains[lex.group_of[w]] for w in words if w in lex.group_of)
    for domain, keywords in lex.domain_words.items():
        counts[domain] += sum(view.count(k) for k in keywords)
    counts.pop("general", None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if not ranked or ranked[0][1] < _DOMAIN_EVIDENCE:
        return None
    return ranked[0][0] if len(ranked) == 1 or ranked[0][1] > ranked[1][1] else None


def particles_in(text: str) -> int:
    """How many sentence-final particles `text` holds."""
    return len(PARTICLE.findall(text))


@dataclass(frozen=True, slots=True)
class FrameTables:
    """For one master: the phrases per slot that do not echo it, openers then closers."""

    openers: tuple[tuple[str, ...], ...]
    closers: tuple[tuple[str, ...], ...]


def _allowed(
    table: Mapping[str, tuple[str, ...]],
    slots: tuple[str, ...],
    domain: str | None,
    master: _Keys,
    unfit: tuple[re.Pattern[str], ...],
) -> tuple[tuple[str, ...], ...]:
    lex = load_lexicon()
    lines = [*table.get("any", ()), *(table.get(domain, ()) if domain else ())]
    keep = [
        line
        for line in lines
        if not _phrase(line)[1].meets(master) and not any(p.search(line) for p in unfit)
    ]
    return tuple(tuple(line for line in keep if lex.frame_slot[line] == s) for s in slots)


@functools.lru_cache(maxsize=256)
def frame_tables(base: str, terms: frozenset[str], domain: str | None) -> FrameTables:
    """Phrases fit for the master `base` (cached: every rep of a post shares them)."""
    lex = load_lexicon()
    master = analyse(base, terms)
    words = [p.text for p in master.pieces if p.kind == "word"]
    view = "".join(p.text for p in master.pieces)
    keys = _keys(view, words, lex)
    domain = domain or infer_domain(words, lex, view)
    unfit = [lex.frame_unfit[domain]] if domain and domain in lex.frame_unfit else []
    if any(span.kind in _SALES_SPANS for span in master.spans):
        unfit.append(lex.frame_unfit["promotion"])
    return FrameTables(
        _allowed(lex.openers, OPENER_SLOTS, domain, keys, tuple(unfit)),
        _allowed(lex.closers, CLOSER_SLOTS, domain, keys, tuple(unfit)),
    )


@dataclass(slots=True)
class _Room:
    """What a phrase may still take: characters, particles, and keys already used."""

    chars: int
    particles: int
    pairs: set[str]
    groups: set[int]

    def fits(self, line: str) -> bool:
        keys = _phrase(line)[1]
        return (
            len(line) < self.chars
            and particles_in(line) <= self.particles
            and self.pairs.isdisjoint(keys.all_pairs)
            and self.groups.isdisjoint(keys.groups)
        )


def _pick(lines: tuple[str, ...], room: _Room, rng: random.Random) -> str | None:
    """A uniformly chosen line that fits: a few rejection draws (most lines fit), then a scan."""
    for _ in range(4):
        line = rng.choice(lines)
        if room.fits(line):
            return line
    fitting = [line for line in lines if room.fits(line)]
    return rng.choice(fitting) if fitting else None


def _frame_text(
    slots: tuple[tuple[str, ...], ...], parts: int, rng: random.Random, room: _Room
) -> list[str]:
    """Up to `parts` phrases, one per chosen slot, in slot order, that fit `room`; each
    picked phrase uses up its share of the room."""
    chosen = sorted(rng.sample(range(len(slots)), min(parts, len(slots))))
    picked: list[str] = []
    for slot in chosen:
        line = _pick(slots[slot], room, rng) if slots[slot] else None
        if line is not None:
            picked.append(line)
            room.chars -= len(line) + 1
            room.particles -= particles_in(line)
            room.pairs.update(_phrase(line)[1].all_pairs)
            room.groups.update(_phrase(line)[1].groups)
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
    voice: Voice,
    particles: int,
) -> int:
    """Add the lines `voice` allows, each as the rates allow and the length budget fits: an
    opener (above the first line when "free", below it when "after_first") and a closer.
    Phrases hold at most `particles` sentence-final particles in all; returns how many
    they used.

    Phrases are split into words like the master, so later steps vary them too: a hundred
    phrases per table then yield many thousands of distinct frames.
    """
    # Longer posts need more added words to stay as far apart; short ones have room for two
    # phrases (the length budget decides) and nothing else that varies as much.
    length = draft.length()
    most = min(options.frame_parts, 2 + length // 150)
    least = min(most, 1 + length // 150)
    room = _Room(0, particles, set(), set())  # keys shared, so the closer does not echo the opener
    for where, rate, slots in _frame_slots(tables, options, voice):
        if rng.random() >= rate:
            continue
        room.chars = max_length - length - reserve - _SLACK
        phrases = _frame_text(slots, rng.randint(least, most), rng, room)
        words = _line_pieces(draft, phrases)
        if not words:
            continue
        draft.pieces = _insert_line(draft.pieces, words, where)
        draft.added_lines += 1
        text = "".join(w.orig for w in words)
        length += len(text) + 1
        draft.edits.append(Edit("closer" if where == "end" else "opener", "", text))
    return particles - room.particles


_NEWLINE = Piece("\n", "\n", "newline")


def _insert_line(pieces: list[Piece], words: list[Piece], where: str) -> list[Piece]:
    """`pieces` with `words` as a new line at the top, after the first line, or at the end."""
    if where == "top":
        return [*words, _NEWLINE, *pieces]
    if where == "after_first":
        at = next((i for i, p in enumerate(pieces) if p.kind == "newline"), len(pieces))
        return [*pieces[:at], _NEWLINE, *words, *pieces[at:]]
    return [*pieces, _NEWLINE, *words]


def _frame_slots(
    tables: FrameTables, options: TextOptions, voice: Voice
) -> list[tuple[str, float, tuple[tuple[str, ...], ...]]]:
    """(where, rate, phrase slots) of each frame line the voice allows, in drawing order."""
    wanted: list[tuple[str, float, tuple[tuple[str, ...], ...]]] = []
    if voice.frame_lines in ("free", "after_first"):
        where = "top" if voice.frame_lines == "free" else "after_first"
        wanted.append((where, options.opener_rate, tables.openers))
    if voice.frame_lines != "off":
        wanted.append(("end", options.closer_rate, tables.closers))
    return wanted
