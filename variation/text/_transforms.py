"""Meaning-keeping transforms over a post's pieces. Each takes the rng it must use.

A transform returns new pieces and the edits it made; it never touches protected pieces and
never writes next to a link, e-mail or phone number, where an added character could be read
as part of it.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from collections.abc import Sequence

from variation.text._draft import Draft
from variation.text._frames import FrameTables, add_frame_lines
from variation.text._lexicon import Lexicon, Particles
from variation.text._pieces import TO_FULL, TO_HALF, Piece
from variation.text._tokenizer import detector_cut
from variation.text._types import Edit, TextOptions, Voice

# Particles a copy may gain, per Voice.particles (None: as many as the rate gives).
PARTICLE_BUDGET: dict[str, int | None] = {"none": 0, "light": 1, "normal": None}

GLUE_SENSITIVE = frozenset({"url", "email", "phone"})
SENTENCE_END = frozenset({"！", "!", "。", "～", "~", "…", "……"})
QUESTION = frozenset({"？", "?"})
# Swaps that keep tone: an exclamation may become a wave or a double exclamation, never a
# question; a full stop may lighten to a wave.
PUNCT_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "！": ("！", "！！", "～"),
    "!": ("!", "!!", "~"),
    "。": ("。", "～", "！"),
    "～": ("～", "！", "～～"),
    "~": ("~", "!", "~~"),
    "…": ("…", "……", "～"),
    "……": ("……", "…", "～"),
}
CALM_MARKS = frozenset({"。", "."})
BULLETS = frozenset("•·-*▪◆●○■□★☆✔✓")
Pieces = list[Piece]


def _touches_glue(pieces: Sequence[Piece], index: int) -> bool:
    """True when position `index` (an insertion point or piece) borders a link or number."""
    neighbours = (
        pieces[index - 1] if index > 0 else None,
        pieces[index] if index < len(pieces) else None,
    )
    return any(p is not None and p.span_kind in GLUE_SENSITIVE for p in neighbours)


@functools.lru_cache(maxsize=65536)
def whole_token(left: str, word: str, right: str) -> bool:
    """Whether `word`, between `left` and `right`, is read as a whole: plain jieba (as a
    reader's eye or a detector segments) puts a boundary at both of its ends. False for 专车
    in 看房专车接送 written as 看房车接送 (jieba reads 房车), or a word cut out of a compound."""
    at, bounds = 0, {0}
    for token in detector_cut(left + word + right):
        at += len(token)
        bounds.add(at)
    return len(left) in bounds and len(left) + len(word) in bounds


def _context(pieces: Sequence[Piece], i: int) -> tuple[str, str]:
    """The words on either side of piece `i` within its line (two pieces each way)."""
    left = _side(pieces, range(i - 1, max(i - 3, -1), -1))
    right = _side(pieces, range(i + 1, min(i + 3, len(pieces))))
    return "".join(reversed(left)), "".join(right)


def _side(pieces: Sequence[Piece], at: range) -> list[str]:
    """Texts of the pieces at `at` up to the first line break (walking only two pieces, not
    the whole line: this runs for every lexicon word of every draw)."""
    texts = []
    for j in at:
        if pieces[j].kind == "newline":
            break
        texts.append(pieces[j].text)
    return texts


def substitute_synonyms(draft: Draft, lex: Lexicon, rng: random.Random, rate: float) -> None:
    """Swap lexicon words for others of their group, only where both the word and its
    replacement read as whole words in context (never a part of a longer compound)."""
    for i, piece in enumerate(draft.pieces):
        group = lex.group_of.get(piece.text) if piece.kind == "word" else None
        if group is None or rng.random() >= rate:
            continue
        left, right = _context(draft.pieces, i)
        if not whole_token(left, piece.text, right):
            continue
        choices = [w for w in lex.groups[group] if w != piece.text and whole_token(left, w, right)]
        if not choices:
            continue
        choice = rng.choice(choices)
        draft.pieces[i] = dataclasses.replace(draft.new(choice), added=piece.added)
        draft.edits.append(Edit("synonym", piece.orig, draft.pieces[i].orig))


def swap_emoji(draft: Draft, lex: Lexicon, rng: random.Random, rate: float) -> None:
    """Swap emoji within their meaning class, the same way everywhere in the copy, so a run
    of ✅ bullets stays a run of one bullet."""
    swaps: dict[str, str] = {}
    for piece in draft.pieces:
        cls = lex.emoji_class_of.get(piece.text) if piece.kind == "emoji" else None
        if cls is not None and piece.text not in swaps:
            others = [e for e in lex.emoji_classes[cls] if e != piece.text]
            swaps[piece.text] = rng.choice(others) if rng.random() < rate else piece.text
    for i, piece in enumerate(draft.pieces):
        if swaps.get(piece.text, piece.text) != piece.text and piece.kind == "emoji":
            draft.pieces[i] = Piece(swaps[piece.text], swaps[piece.text], "emoji")
            draft.edits.append(Edit("emoji", piece.orig, swaps[piece.text]))


def _sentence_ends(pieces: Pieces) -> list[int]:
    """Indices of sentence-final punctuation that follows a word."""
    return [
        i
        for i, p in enumerate(pieces)
        if p.kind == "punct"
        and p.text in SENTENCE_END
        and i > 0
        and pieces[i - 1].kind == "word"
        and not p.added
    ]


def vary_punctuation(draft: Draft, rng: random.Random, rate: float, *, calm: bool = False) -> None:
    """Swap sentence-final marks for ones of the same tone; `calm` keeps full stops."""
    for i in _sentence_ends(draft.pieces):
        piece = draft.pieces[i]
        options = None if calm and piece.text in CALM_MARKS else PUNCT_ALTERNATIVES.get(piece.text)
        if not options or _touches_glue(draft.pieces, i + 1) or rng.random() >= rate:
            continue
        choice = rng.choice([o for o in options if o != piece.text])
        draft.pieces[i] = draft.new(choice, "punct")
        draft.edits.append(Edit("punctuation", piece.orig, draft.pieces[i].orig))


def _particle_choices(pieces: Pieces, i: int, rules: Particles) -> tuple[str, ...]:
    """Particles that may stand at piece `i` (the word before a sentence end), if any."""
    word = pieces[i].text
    tail = "".join(p.text for p in pieces[max(0, i - 2) : i])
    if word in rules.swappable:
        return tuple(p for p in rules.swappable if p != word)
    if word == "了" and not tail.endswith(rules.le_not_after):
        return rules.le_forms
    if word in rules.le_forms:
        return ("了", *(p for p in rules.le_forms if p != word))
    return ()


def _accepts_particle(piece: Piece, rules: Particles) -> bool:
    last = piece.text[-1]
    return (
        "\u4e00" <= last <= "\u9fff"
        and last not in rules.blockers
        and piece.text not in rules.question_words
    )


def add_particles(
    draft: Draft,
    lex: Lexicon,
    rng: random.Random,
    rate: float,
    budget: int | None = None,
    *,
    keep_first: bool = False,
    calm: bool = False,
) -> None:
    """Swap a sentence-final particle for another, or add one where a statement allows it,
    at most `budget` times (None: wherever the rate says). A limited budget goes to
    sentences in a random order, so it does not always land on the last one. With
    `keep_first` the first line (the brand's headline) gets none; with `calm` (insurance)
    no statement ending in a full stop does."""
    rules = lex.particles
    first_break = next(
        (i for i, p in enumerate(draft.pieces) if p.kind == "newline"), len(draft.pieces)
    )
    ends = [
        end
        for end in reversed(_sentence_ends(draft.pieces))
        if (not keep_first or end > first_break)
        and not (calm and draft.pieces[end].text in CALM_MARKS)
    ]
    if budget is not None:
        rng.shuffle(ends)
    for n, end in enumerate(ends):
        if budget is not None and budget <= 0:
            return
        if draft.pieces[end].text not in rules.terminals or rng.random() >= rate:
            continue
        i, before = end - 1, draft.pieces[end - 1]
        if choices := _particle_choices(draft.pieces, i, rules):
            draft.pieces[i] = draft.new(rng.choice(choices))
            draft.edits.append(Edit("particle", before.orig, draft.pieces[i].orig))
        elif _accepts_particle(before, rules):
            draft.pieces.insert(end, draft.new(rng.choice(rules.addable)))
            draft.edits.append(Edit("particle", "", draft.pieces[end].orig))
            ends[n + 1 :] = [e + 1 if e >= end else e for e in ends[n + 1 :]]
        else:
            continue
        budget = None if budget is None else budget - 1


def split_lines(pieces: Pieces) -> list[Pieces]:
    lines: list[Pieces] = [[]]
    for piece in pieces:
        if piece.kind == "newline":
            lines.append([])
        else:
            lines[-1].append(piece)
    return lines


def join_lines(lines: list[Pieces]) -> Pieces:
    newline = Piece("\n", "\n", "newline")
    joined: Pieces = []
    for n, line in enumerate(lines):
        if n:
            joined.append(newline)
        joined.extend(line)
    return joined


def _line_key(line: Pieces) -> str | None:
    """What makes a line reorderable with its neighbours: a shared bullet, or `标签：值`."""
    body = [p for p in line if p.kind != "space"]
    if len(body) < 2:
        return None
    first, second = body[0], body[1]
    if first.kind == "emoji" or (first.kind == "punct" and first.text in BULLETS):
        return f"bullet:{first.text}"
    if first.kind == "word" and 2 <= len(first.text) <= 4 and second.text in {"：", ":"}:
        return "info"
    return None


def _shuffle_runs(
    items: list[Pieces], keys: list[str | None], rng: random.Random, *, start: int = 0
) -> bool:
    changed = False
    while start < len(items):
        end = start
        while end + 1 < len(items) and keys[start] and keys[end + 1] == keys[start]:
            end += 1
        if end > start:
            run = items[start : end + 1]
            rng.shuffle(run)
            changed |= run != items[start : end + 1]
            items[start : end + 1] = run
        start = end + 1
    return changed


def _shuffle_hashtags(line: Pieces, rng: random.Random) -> bool:
    slots = [i for i, p in enumerate(line) if p.span_kind == "hashtag"]
    tags = [line[i] for i in slots]
    between = (
        all(p.kind == "space" or p.span_kind == "hashtag" for p in line[slots[0] : slots[-1] + 1])
        if slots
        else False
    )
    if len(tags) < 2 or not between:
        return False
    rng.shuffle(tags)
    changed = any(line[i] is not t for i, t in zip(slots, tags, strict=True))
    for i, tag in zip(slots, tags, strict=True):
        line[i] = tag
    return changed


def reorder(draft: Draft, rng: random.Random, *, keep_first: bool = False) -> None:
    """Shuffle runs whose order carries no meaning: bullet lines, info lines, hashtags.
    With `keep_first` the first line stays first (its hashtags may still change order)."""
    lines = split_lines(draft.pieces)
    if _shuffle_runs(lines, [_line_key(line) for line in lines], rng, start=int(keep_first)):
        draft.edits.append(Edit("reorder", "lines", "lines"))
    for line in lines:
        if _shuffle_hashtags(line, rng):
            draft.edits.append(Edit("reorder", "hashtags", "hashtags"))
    draft.pieces = join_lines(lines)


def keep_width(draft: Draft, width: str) -> None:
    """Write every mark in the master's width when the master uses one (a master with
    ASCII `,:?` never gets `！～`, and the reverse); a mixed master is left as it is."""
    if width == "mixed":
        return
    table = TO_HALF if width == "half" else TO_FULL
    for i, piece in enumerate(draft.pieces):
        if piece.kind == "punct" and piece.orig.translate(table) != piece.orig:
            draft.pieces[i] = dataclasses.replace(
                piece, text=piece.text.translate(table), orig=piece.orig.translate(table)
            )


def sign(draft: Draft, signature: str) -> None:
    # Marked as added: like a frame line, the signature is no part of the body.
    line = Piece(f"—— {signature}", f"—— {signature}", "word", added=True)
    draft.pieces = [*draft.pieces, Piece("\n", "\n", "newline"), line]
    draft.added_lines += 1
    draft.edits.append(Edit("signature", "", line.orig))


def transform(
    draft: Draft,
    lex: Lexicon,
    rng: random.Random,
    options: TextOptions,
    *,
    frames: FrameTables,
    max_length: int,
    signature: str | None,
    voice: Voice,
    width: str,
) -> None:
    """The whole per-rep pipeline, in a fixed order so a seed always means the same copy."""
    reserve = len(signature) + 4 if signature else 0
    budget = PARTICLE_BUDGET[voice.particles]
    used = add_frame_lines(
        draft,
        frames,
        rng,
        options,
        max_length=max_length,
        reserve=reserve,
        voice=voice,
        particles=64 if budget is None else budget,
    )
    substitute_synonyms(draft, lex, rng, options.synonym_rate)
    swap_emoji(draft, lex, rng, options.emoji_rate)
    keep_first = voice.frame_lines != "free"
    left = None if budget is None else budget - used
    add_particles(
        draft, lex, rng, options.particle_rate, left, keep_first=keep_first, calm=frames.calm
    )
    vary_punctuation(draft, rng, options.punctuation_rate, calm=frames.calm)
    if options.reorder:
        reorder(draft, rng, keep_first=keep_first)
    keep_width(draft, width)
    if signature:
        sign(draft, signature)
