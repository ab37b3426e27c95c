"""A reference near-duplicate detector for text, independent of the engine's own index.

The engine checks diversity with its own fingerprints; grading it with the same code would
prove nothing. This module re-measures every pair of copies with other implementations:
the `simhash` package (MD5 features) for SimHash, a plain jieba tokenizer without our
lexicon for words, and a sparse matrix product for exact 3-gram Jaccard.

`measure_bodies` (issue 17) judges the bodies (frame lines and signature removed) the way a
detector we do not control would: exact character-5-gram Jaccard, and SimHash under eight
keyed SHA-1 functions plus the `simhash` package, none of which the engine checks with.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import jieba
import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Indel
from scipy import sparse
from simhash import Simhash


def strip(text: str) -> str:
    """Remove punctuation, emoji, symbols and spaces, as robust detectors do."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


@functools.cache
def _plain_jieba() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _grams(text: str, n: int) -> list[str]:
    return [text[i : i + n] for i in range(max(len(text) - n + 1, 1))]


def _hashes(feature_lists: Sequence[list[str]]) -> npt.NDArray[np.uint64]:
    return np.array([Simhash(f, f=64).value for f in feature_lists], dtype=np.uint64)


def _min_pair_distance(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    distance = np.bitwise_count(hashes[:, None] ^ hashes[None, :]).astype(np.int64)
    return distance[np.triu_indices(len(hashes), k=1)]


def _jaccards(texts: Sequence[str], n: int = 3) -> npt.NDArray[np.float64]:
    """Jaccard of character n-gram sets, every pair (upper triangle)."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, text in enumerate(texts):
        for gram in set(_grams(text, n)):
            rows.append(i)
            cols.append(vocab.setdefault(gram, len(vocab)))
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocab)))
    inter = (matrix @ matrix.T).toarray()
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    union = sizes[:, None] + sizes[None, :] - inter
    return (inter / np.maximum(union, 1))[np.triu_indices(len(texts), k=1)]


@dataclass(frozen=True, slots=True)
class PairReport:
    """All-pairs figures for one batch of copies."""

    copies: int
    pairs: int
    min_char_distance: int
    min_word_distance: int
    pairs_char_below_4: int
    pairs_word_below_4: int
    max_jaccard: float
    p99_jaccard: float
    pairs_jaccard_at_least_08: int
    min_similarity_to_master: float
    median_similarity_to_master: float


def measure(master: str, copies: Sequence[str]) -> PairReport:
    stripped = [strip(c) for c in copies]
    char = _min_pair_distance(_hashes([_grams(s, 4) for s in stripped]))
    tokenizer = _plain_jieba()
    word_lists = [[w for w in (strip(t) for t in tokenizer.cut(c)) if w] for c in copies]
    word = _min_pair_distance(_hashes(word_lists))
    jaccard = _jaccards(stripped)
    similarity = np.array([Indel.normalized_similarity(master, c) for c in copies])
    return PairReport(
        copies=len(copies),
        pairs=len(jaccard),
        min_char_distance=int(char.min()),
        min_word_distance=int(word.min()),
        pairs_char_below_4=int((char < 4).sum()),
        pairs_word_below_4=int((word < 4).sum()),
        max_jaccard=float(jaccard.max()),
        p99_jaccard=float(np.percentile(jaccard, 99)),
        pairs_jaccard_at_least_08=int((jaccard >= 0.8).sum()),
        min_similarity_to_master=float(similarity.min()),
        median_similarity_to_master=float(np.median(similarity)),
    )


# Eight hash functions the engine does not use: SHA-1 of a key and the feature (the engine
# keys BLAKE2b), last 8 bytes. Independent of the engine's construction and of each other.
OUTSIDE_KEYS = tuple(f"dupcheck/{i}".encode() for i in range(8))


def _keyed_hashes(features: list[str], keys: Sequence[bytes]) -> npt.NDArray[np.uint64]:
    """SimHash of `features` under each key (Charikar's votes, weighted by occurrences)."""
    counts: dict[str, int] = {}
    for f in features:
        counts[f] = counts.get(f, 0) + 1
    if not counts:
        return np.zeros(len(keys), dtype=np.uint64)
    digests = np.array(
        [
            [int.from_bytes(hashlib.sha1(key + f.encode()).digest()[-8:], "little") for key in keys]
            for f in counts
        ],
        dtype=np.uint64,
    )
    bits = np.unpackbits(digests.view(np.uint8).reshape(len(counts), -1), axis=1, bitorder="little")
    votes = np.array(list(counts.values())) @ (2 * bits.astype(np.int64) - 1)
    return np.packbits(votes > 0, bitorder="little").view("<u8").astype(np.uint64)


def _pairwise_min_over_keys(per_copy: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Per pair (upper triangle): the least distance over the key columns."""
    n = per_copy.shape[0]
    least = np.full((n, n), 64, dtype=np.int64)
    for k in range(per_copy.shape[1]):
        column = per_copy[:, k]
        least = np.minimum(least, np.bitwise_count(column[:, None] ^ column[None, :]))
    return least[np.triu_indices(n, k=1)]


@dataclass(frozen=True, slots=True)
class BodyReport:
    """All-pairs figures on the bodies (frame lines and signature removed), under hash
    functions the engine does not use (8 keyed SHA-1 functions and the simhash package)."""

    copies: int
    pairs: int
    max_jaccard5: float
    p99_jaccard5: float
    pairs_jaccard5_at_least_08: int
    identical_bodies: int
    bodies_equal_master: int
    min_char_distance: int  # least over every pair and all 9 functions
    min_word_distance: int
    pairs_char_below_4: int  # pairs below 4 under at least one function
    pairs_word_below_4: int
    min_similarity_to_master: float


def measure_bodies(
    master: str, copies: Sequence[str], bodies: Sequence[str], keys: Sequence[bytes] = OUTSIDE_KEYS
) -> BodyReport:
    """`master` is the post as its first options read (what a body must not equal)."""
    stripped = [strip(b) for b in bodies]
    tokenizer = _plain_jieba()
    words = [[w for w in (strip(t) for t in tokenizer.cut(b)) if w] for b in bodies]
    grams = [_grams(s, 4) for s in stripped]
    char = np.column_stack((np.array([_keyed_hashes(g, keys) for g in grams]), _hashes(grams)))
    word = np.column_stack((np.array([_keyed_hashes(w, keys) for w in words]), _hashes(words)))
    char_d, word_d = _pairwise_min_over_keys(char), _pairwise_min_over_keys(word)
    jaccard = _jaccards(stripped, 5)
    counts: dict[str, int] = {}
    for s in stripped:
        counts[s] = counts.get(s, 0) + 1
    similarity = np.array([Indel.normalized_similarity(master, c) for c in copies])
    return BodyReport(
        copies=len(copies),
        pairs=len(jaccard),
        max_jaccard5=float(jaccard.max()),
        p99_jaccard5=float(np.percentile(jaccard, 99)),
        pairs_jaccard5_at_least_08=int((jaccard >= 0.8).sum()),
        identical_bodies=sum(n * (n - 1) // 2 for n in counts.values()),
        bodies_equal_master=sum(s == strip(master) for s in stripped),
        min_char_distance=int(char_d.min()),
        min_word_distance=int(word_d.min()),
        pairs_char_below_4=int((char_d < 4).sum()),
        pairs_word_below_4=int((word_d < 4).sum()),
        min_similarity_to_master=float(similarity.min()),
    )
