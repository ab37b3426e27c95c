"""What a standard near-duplicate detector would flag among a batch of copies.

For the diversity meter: the share of copy pairs a detector we do not control would call
duplicates, judged on the bodies (frame lines and signature removed, punctuation, emoji and
spaces stripped): character-5-gram Jaccard ≥ 0.8, or 64-bit SimHash (character 4-grams or
words) within 3 bits under a hash function keyed differently from the engine's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from variation.text._diversity import copy_body
from variation.text._fingerprint import char_ngrams, normalise, words
from variation.text._keyed import DETECTOR_KEY, ENGINE_KEYS, keyed_simhashes

JACCARD_FLAG = 0.8
SIMHASH_FLAG = 3
ADVICE = "添加改写可降低重复"


@dataclass(frozen=True, slots=True)
class DetectorReport:
    """All-pairs figures for a batch; `flagged_share` is what the meter shows, `advice` the
    Chinese hint for the editor (empty when nothing is flagged and bodies are far apart)."""

    copies: int
    pairs: int
    flagged_pairs: int
    flagged_share: float
    jaccard_pairs: int
    simhash_pairs: int
    identical_bodies: int
    bodies_equal_master: int
    max_jaccard: float
    p99_jaccard: float
    min_simhash_distance: int
    advice: str


def detector_report(
    copies: Sequence[str],
    master: str,
    *,
    bodies: Sequence[str] | None = None,
    key: bytes = DETECTOR_KEY,
) -> DetectorReport:
    """Judge `copies` of `master` as a detector would. `bodies`, when given, are the copies'
    bodies (TextVariant.body); otherwise each is recovered with copy_body. `key` must not be
    one of the engine's keys. Raises ValueError for a length mismatch or an engine key."""
    if key in ENGINE_KEYS:
        raise ValueError("the detector must not use one of the engine's hash keys")
    if bodies is not None and len(bodies) != len(copies):
        raise ValueError("bodies must give one body per copy")
    found = list(bodies) if bodies is not None else [copy_body(c, master) for c in copies]
    norms = [normalise(b) for b in found]
    upper = np.triu_indices(len(norms), k=1)
    jaccard = _jaccards(norms)[upper]
    distance = np.minimum(
        _distances([char_ngrams(n, 4) for n in norms], key)[upper],
        _distances([words(b) for b in found], key)[upper],
    )
    identical = _identical_pairs(norms)
    flagged = int(((jaccard >= JACCARD_FLAG) | (distance <= SIMHASH_FLAG)).sum())
    pairs = len(jaccard)
    p99 = float(np.percentile(jaccard, 99)) if pairs else 0.0
    return DetectorReport(
        copies=len(copies),
        pairs=pairs,
        flagged_pairs=flagged,
        flagged_share=flagged / pairs if pairs else 0.0,
        jaccard_pairs=int((jaccard >= JACCARD_FLAG).sum()),
        simhash_pairs=int((distance <= SIMHASH_FLAG).sum()),
        identical_bodies=identical,
        bodies_equal_master=sum(n == normalise(master) for n in norms),
        max_jaccard=float(jaccard.max()) if pairs else 0.0,
        p99_jaccard=p99,
        min_simhash_distance=int(distance.min()) if pairs else 64,
        advice=ADVICE if flagged or p99 >= 0.6 else "",
    )


def _identical_pairs(norms: list[str]) -> int:
    counts: dict[str, int] = {}
    for norm in norms:
        counts[norm] = counts.get(norm, 0) + 1
    return sum(n * (n - 1) // 2 for n in counts.values())


def _distances(features: list[list[str]], key: bytes) -> npt.NDArray[np.int64]:
    hashes = np.array([keyed_simhashes(f, (key,))[0] for f in features], dtype=np.uint64)
    return np.bitwise_count(hashes[:, None] ^ hashes[None, :]).astype(np.int64)


def _jaccards(norms: list[str]) -> npt.NDArray[np.float64]:
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, norm in enumerate(norms):
        for gram in set(char_ngrams(norm, 5)):
            rows.append(i)
            cols.append(vocab.setdefault(gram, len(vocab)))
    matrix = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(norms), max(len(vocab), 1))
    )
    inter = (matrix @ matrix.T).toarray()
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    return np.asarray(inter / np.maximum(sizes[:, None] + sizes[None, :] - inter, 1))
