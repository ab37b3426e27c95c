"""Copies for a whole team of reps that clear each other and every copy issued before."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from variation.text._diversity import (
    DEFAULT_BODY_RULE,
    BodyDiversity,
    BodyPrint,
    DiversityIndex,
    IssuedText,
)
from variation.text._spintax import parse_spintax, render_spintax_index
from variation.text._types import DEFAULT_OPTIONS, DEFAULT_VOICE, TextOptions, TextVariant, Voice
from variation.text._vary import vary_text

# Draws without a more distinct candidate after which a rep stops trying: a post whose
# bodies cannot be told apart (no alternatives, few words to vary) would otherwise spend
# every attempt on every rep for nothing.
_PATIENCE = 5


@dataclass(frozen=True, slots=True)
class _Request:
    """What every draw of one batch shares."""

    master: str
    seed_prefix: str
    protected: Sequence[str]
    options: TextOptions
    voice: Voice


def issue_text_copies(
    master: str,
    rep_keys: Sequence[str],
    *,
    seed_prefix: str,
    protected: Sequence[str] = (),
    issued: Sequence[str | IssuedText] = (),
    options: TextOptions = DEFAULT_OPTIONS,
    signatures: Sequence[str | None] | None = None,
    progress: Callable[[int], None] | None = None,
    voice: Voice = DEFAULT_VOICE,
    rule: BodyDiversity = DEFAULT_BODY_RULE,
) -> list[TextVariant]:
    """One copy per rep key, in order; each clears the master, `issued` and earlier copies.

    Rep i's copy is re-drawn (seeds `{seed_prefix}:{key}:{attempt}`) until it clears the
    batch rule (see variation.text.batch_clears: the body, apart from frame lines and
    signature, under several keyed hash functions, and the whole copy) against the master
    (its first options, when it holds alternatives), `issued` and the copies before it.
    Already issued copies are never changed: pass them as `issued` (IssuedText with their
    body, or plain texts) to add reps later. When the attempts run out, or
    no draw gets more distinct for a while, the most distinct draw is issued with
    `clears_batch=False`. `progress`, when given, is called with the copies issued so far.
    """
    if signatures is not None and len(signatures) != len(rep_keys):
        raise ValueError("signatures must give one entry (or None) per rep key")
    index = DiversityIndex(rule)
    first = render_spintax_index(parse_spintax(master), 0)[0]
    for item in (*issued, IssuedText(first)):
        known = IssuedText(item) if isinstance(item, str) else item
        index.add(index.print(known.text, known.body or known.text))
    request = _Request(master, seed_prefix, protected, options, voice)
    copies = []
    for i, key in enumerate(rep_keys):
        signature = signatures[i] if signatures is not None else None
        copies.append(_draw(request, index, key, slot=len(issued) + i, signature=signature))
        if progress is not None:
            progress(len(copies))
    return copies


def _draw(
    request: _Request, index: DiversityIndex, key: str, *, slot: int, signature: str | None
) -> TextVariant:
    """Rep `key`'s copy, added to `index`: the first draw that clears it, else the most
    distinct one."""
    best: tuple[tuple[bool, bool, float, int, float, int], TextVariant, BodyPrint] | None = None
    since_better = 0
    attempt = 0
    for attempt in range(1, request.options.max_attempts + 1):
        variant = vary_text(
            request.master,
            seed=f"{request.seed_prefix}:{key}:{attempt - 1}",
            protected=request.protected,
            options=request.options,
            signature=signature,
            slot=slot,
            voice=request.voice,
        )
        body = index.print(variant.text, variant.body)
        since_better += 1
        found = index.nearest(body, request.options, beaten_by=best[0][1:3] if best else None)
        if found is None:  # fails, and ranks below the best draw: nothing to keep
            if since_better >= _PATIENCE:
                break
            continue
        near, whole = found
        clears = index.verdict(near, whole, request.options)
        score = (clears, *near.score(index.rule), min(whole.char_distance, whole.word_distance))
        if best is None or score > best[0]:
            best, since_better = (score, variant, body), 0
        if clears or since_better >= _PATIENCE:
            break
    assert best is not None
    score, variant, body = best
    index.add(body)
    return dataclasses.replace(variant, attempts=attempt, clears_batch=bool(score[0]))
