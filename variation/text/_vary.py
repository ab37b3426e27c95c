"""vary_text: one rep's copy of a master post."""

from __future__ import annotations

import functools
import math
import random
import re
from collections.abc import Sequence

from rapidfuzz.distance import Indel

from variation.text._draft import Draft
from variation.text._frames import frame_tables
from variation.text._gates import failed_gates
from variation.text._lexicon import load_lexicon
from variation.text._pieces import Piece, analyse
from variation.text._spintax import (
    Template,
    count_variants,
    parse_spintax,
    render_spintax,
    render_spintax_index,
)
from variation.text._transforms import sign, split_lines, transform
from variation.text._types import (
    DEFAULT_OPTIONS,
    DEFAULT_VOICE,
    Edit,
    Span,
    TextOptions,
    TextVariant,
    Voice,
)

# Draws tried inside one call before settling for the master as written (which passes every
# gate); a handful suffices because gates rarely fail with the default options.
_DRAWS = 8
_UNCHECKED_EDITS = frozenset({"reorder", "emoji", "signature", "choice"})
# Added text is checked phrase by phrase: the phrases recur across reps, so checks are cached.
_PHRASE_BREAK = re.compile(r"[，～！。、\s]+")
_SPINTAX_MARK = re.compile(r"(?<!\\)[{}|]")


@functools.lru_cache(maxsize=256)
def _template(text: str) -> Template:
    return parse_spintax(text)


@functools.lru_cache(maxsize=256)
def _stride(count: int) -> int:
    """A step coprime with `count` near its golden section: slot n takes combination
    n·stride mod count, so every combination still comes once per `count` slots, each
    choice's options still take turns, and neighbouring reps differ in many sentences
    rather than only in the first."""
    stride = max(1, round(count * 0.6180339887))
    while math.gcd(stride, count) != 1:
        stride += 1
    return stride


@functools.lru_cache(maxsize=256)
def _every_option(text: str) -> str:
    """The master with every option of every choice written out, one per line: what frame
    lines must not echo and what the post's domain is read from, the same for every rep
    whatever alternatives it is given (and computed once, not per combination)."""
    return "\n".join(_SPINTAX_MARK.split(text))


@functools.lru_cache(maxsize=256)
def _first_rendering(text: str) -> str | None:
    """The master as the editor wrote it (every first option), when it holds choices."""
    template = _template(text)
    return render_spintax_index(template, 0)[0] if count_variants(template) > 1 else None


@functools.lru_cache(maxsize=256)
def _variant_count(text: str) -> int:
    return count_variants(_template(text))


@functools.lru_cache(maxsize=1024)
def _rendering(text: str, index: int) -> tuple[str, tuple[int, ...]]:
    """Combination `index` of the master: the same for every draw of a rep's slot, so a
    batch re-drawing a rep renders it once."""
    return render_spintax_index(_template(text), index)


def _similar_to(written: str | None, copy: str, options: TextOptions) -> bool:
    """A copy given other alternatives must still read like the master as written."""
    if written is None:
        return True
    return Indel.normalized_similarity(written, copy) >= options.min_similarity


def scattered(slot: int, count: int) -> int:
    """The combination index rep `slot` of a batch gets (see _stride)."""
    return slot * _stride(count) % count


def _assemble(pieces: Sequence[Piece], span_count: int) -> tuple[str, tuple[Span, ...]]:
    parts: list[str] = []
    spans: list[Span | None] = [None] * span_count
    at = 0
    for piece in pieces:
        if piece.span_index >= 0:
            spans[piece.span_index] = Span(at, at + len(piece.orig), piece.span_kind, piece.orig)
        parts.append(piece.orig)
        at += len(piece.orig)
    return "".join(parts), tuple(s for s in spans if s is not None)


def _body(pieces: Sequence[Piece]) -> str:
    """The copy without the lines the engine added (frame lines, signature)."""
    lines = [
        line for line in split_lines(list(pieces)) if not line or not all(p.added for p in line)
    ]
    return "\n".join("".join(p.orig for p in line) for line in lines)


def vary_text(
    text: str,
    *,
    seed: int | str,
    protected: Sequence[str] = (),
    options: TextOptions = DEFAULT_OPTIONS,
    signature: str | None = None,
    slot: int | None = None,
    voice: Voice = DEFAULT_VOICE,
) -> TextVariant:
    """One copy of `text`, a pure function of all arguments.

    Editor alternatives (`{a|b}`, inline or per sentence: see variation.text.sentences) are
    resolved first. `slot`, the rep's position in its batch, spreads a batch's reps evenly
    over the alternatives; without it the seed picks. Protected spans (found automatically,
    plus `protected` terms) come out byte-identical; every copy passes the fidelity gates.
    `voice` decides the frame lines and particles; the first line stays the master's first
    line (varied only inside) unless voice.frame_lines is "free", and punctuation keeps the
    master's width when the master uses one. The result's `body` is the copy without frame
    lines and signature. Raises SpintaxError for malformed alternatives.
    """
    template, lex, terms = _template(text), load_lexicon(), frozenset(protected)
    written = _first_rendering(text)
    frames = frame_tables(_every_option(text), terms, options.domain)
    for draw in range(_DRAWS):
        rng = random.Random(f"{seed}|{draw}")
        if slot is None:
            base, picks = render_spintax(template, rng)
        else:
            base, picks = _rendering(text, scattered(slot, _variant_count(text)))
        master = analyse(base, terms)
        draft = Draft(list(master.pieces), [], master.script)
        if picks:
            draft.edits.append(Edit("choice", "", ",".join(map(str, picks))))
        max_length = math.floor(len(base) * options.max_length_ratio)
        transform(
            draft,
            lex,
            rng,
            options,
            frames=frames,
            max_length=max_length,
            signature=signature,
            voice=voice,
            width=master.width,
        )
        copy, spans = _assemble(draft.pieces, len(master.spans))
        added = [
            part
            for e in draft.edits
            if e.kind not in _UNCHECKED_EDITS
            for part in _PHRASE_BREAK.split(e.after)
            if part
        ]
        if _similar_to(written, copy, options) and not failed_gates(
            master,
            copy,
            spans=spans,
            added=added,
            added_lines=draft.added_lines,
            lex=lex,
            options=options,
        ):
            return TextVariant(
                copy,
                str(seed),
                tuple(draft.edits),
                spans,
                master.script,
                lex.version,
                body=_body(draft.pieces),
                voice=voice,
            )
    plain = Draft(list(master.pieces), [], master.script)
    if signature:
        sign(plain, signature)
    copy, spans = _assemble(plain.pieces, len(master.spans))
    return TextVariant(
        copy,
        str(seed),
        tuple(plain.edits),
        spans,
        master.script,
        lex.version,
        body=_body(plain.pieces),
        voice=voice,
    )
