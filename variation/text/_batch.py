"""Copies for a whole team of reps that clear each other and every copy issued before."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from variation.text._fingerprint import FingerprintIndex, Nearest, fingerprint
from variation.text._spintax import has_spintax
from variation.text._types import DEFAULT_OPTIONS, TextOptions, TextVariant
from variation.text._vary import vary_text


def _clears(near: Nearest, options: TextOptions) -> bool:
    return (
        near.char_distance >= options.min_simhash_distance
        and near.word_distance >= options.min_simhash_distance
        and near.jaccard < options.max_jaccard
    )


def _score(near: Nearest) -> tuple[int, float]:
    return (min(near.char_distance, near.word_distance), -near.jaccard)


def issue_text_copies(
    master: str,
    rep_keys: Sequence[str],
    *,
    seed_prefix: str,
    protected: Sequence[str] = (),
    issued: Sequence[str] = (),
    options: TextOptions = DEFAULT_OPTIONS,
    signatures: Sequence[str | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[TextVariant]:
    """One copy per rep key, in order; each clears the master, `issued` and earlier copies.

    Rep i's copy is re-drawn (seeds `{seed_prefix}:{key}:{attempt}`) until its SimHash
    distance to every other copy is at least `options.min_simhash_distance` over character
    4-grams and over words, and its 3-gram Jaccard stays below `options.max_jaccard`. Already
    issued copies are never changed: pass their texts as `issued` to add reps later. When the
    attempts run out the most distinct draw is issued with `clears_batch=False`.
    `progress`, when given, is called with the number of copies issued so far.
    """
    if signatures is not None and len(signatures) != len(rep_keys):
        raise ValueError("signatures must give one entry (or None) per rep key")
    index = FingerprintIndex()
    for text in (*issued, *(() if has_spintax(master) else (master,))):
        index.add(fingerprint(text))
    copies = []
    for i, key in enumerate(rep_keys):
        signature = signatures[i] if signatures is not None else None
        candidates = []
        for attempt in range(1, options.max_attempts + 1):
            variant = vary_text(
                master,
                seed=f"{seed_prefix}:{key}:{attempt - 1}",
                protected=protected,
                options=options,
                signature=signature,
                slot=len(issued) + i,
            )
            fp = fingerprint(variant.text)
            near = index.nearest(fp)
            candidates.append((_score(near), attempt, variant, fp, _clears(near, options)))
            if candidates[-1][-1]:
                break
        _, _, variant, fp, clears = max(candidates, key=lambda c: (c[-1], c[0], -c[1]))
        index.add(fp)
        copies.append(dataclasses.replace(variant, attempts=len(candidates), clears_batch=clears))
        if progress is not None:
            progress(len(copies))
    return copies
