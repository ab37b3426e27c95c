"""A reference near-duplicate detector for text, independent of the engine's own index.

The engine checks diversity with its own fingerprints; grading it with the same code would
prove nothing. This module re-measures every pair of copies with other implementations:
the `simhash` package (MD5 features) for SimHash, a plain jieba tokenizer without our
lexicon for words, and a sparse matrix product for exact 3-gram Jaccard.
"""

from __future__ import annotations

import functools
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


def _jaccards(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, text in enumerate(texts):
        for gram in set(_grams(text, 3)):
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
