"""What a near-duplicate detector sees of a copy, and a vectorised index of issued copies.

Detectors strip punctuation, emoji and spaces before comparing, so we do too: a copy that
differs only in punctuation is a duplicate. Measured: 64-bit SimHash over character 4-grams
and over jieba words, and Jaccard over character 3-grams.

SimHash distances depend on the feature hash, so "distance >= 4" only means something for a
named implementation. We reproduce the most used one, the `simhash` package (Charikar's
method over the last 8 bytes of each feature's MD5, weighted by occurrences), and segment
words like `jieba.lcut` with its default dictionary.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from variation.text._tokenizer import detector_cut


@functools.lru_cache(maxsize=65536)
def _keeps(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


# Everything but Unicode letters and digits: for str patterns, \w is exactly the characters
# of categories L* and N* plus "_" (checked over every code point when this was written).
_NOT_KEPT = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Letters and digits only: what robust detectors compare."""
    return _NOT_KEPT.sub("", text)


@functools.lru_cache(maxsize=262144)
def _feature_hash(feature: str) -> int:
    return int.from_bytes(hashlib.md5(feature.encode()).digest()[-8:], "big")


def simhash(features: Iterable[str]) -> int:
    """64-bit SimHash of features weighted by occurrences; equals `simhash.Simhash(...).value`."""
    counts = Counter(features)
    if not counts:
        return 0
    hashes = np.fromiter(map(_feature_hash, counts), dtype="<u8", count=len(counts))
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    # Bit i of every hash as a column (little-endian bytes, so bit order is numeric order).
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = weights @ (2 * bits.astype(np.int64) - 1)
    return int(np.packbits(votes > 0, bitorder="little").view("<u8")[0])


def char_ngrams(text: str, n: int) -> list[str]:
    if len(text) < n:
        return [text] if text else []
    return [text[i : i + n] for i in range(len(text) - n + 1)]


# jieba segments each run of these characters on its own (its `re_han_default`), so cutting
# run by run gives the same words as cutting the whole text, and runs repeat across copies.
_RUN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")


@functools.lru_cache(maxsize=65536)
def _run_words(run: str) -> tuple[str, ...]:
    return tuple(w for w in (normalise(word) for word in detector_cut(run)) if w)


def words(text: str) -> list[str]:
    """jieba words of the copy, normalised (punctuation, emoji and spaces dropped)."""
    found: list[str] = []
    for n, block in enumerate(_RUN.split(text)):
        found += _run_words(block) if n % 2 else [ch for ch in block if _keeps(ch)]
    return found


@dataclass(frozen=True, slots=True)
class Fingerprint:
    char_simhash: int
    word_simhash: int
    shingles: frozenset[str]


def fingerprint(text: str) -> Fingerprint:
    norm = normalise(text)
    return Fingerprint(
        char_simhash=simhash(char_ngrams(norm, 4)),
        word_simhash=simhash(words(text)),
        shingles=frozenset(char_ngrams(norm, 3)),
    )


@dataclass(frozen=True, slots=True)
class Nearest:
    """The closest issued copy on each measure (inf/0 when the index is empty)."""

    char_distance: int
    word_distance: int
    jaccard: float


class FingerprintIndex:
    """Issued copies' fingerprints in arrays, so one check against N copies is a few numpy ops.

    Jaccard is exact, not estimated: shingles map to rows of a shingle × copy incidence
    matrix, and a candidate's intersection with every copy is one column-sum over its rows.
    """

    def __init__(self) -> None:
        self._count = 0
        self._char = np.zeros(64, dtype=np.uint64)
        self._word = np.zeros(64, dtype=np.uint64)
        self._sizes = np.zeros(64, dtype=np.int64)
        self._rows: dict[str, int] = {}
        self._incidence = np.zeros((256, 64), dtype=np.uint8)

    def __len__(self) -> int:
        return self._count

    def _rows_of(self, shingles: frozenset[str], *, grow: bool) -> npt.NDArray[np.intp]:
        if grow:
            for s in shingles:
                self._rows.setdefault(s, len(self._rows))
            if len(self._rows) > self._incidence.shape[0]:
                extra = max(len(self._rows), 2 * self._incidence.shape[0])
                self._incidence = np.pad(
                    self._incidence, ((0, extra - self._incidence.shape[0]), (0, 0))
                )
        rows = [self._rows[s] for s in shingles if s in self._rows]
        return np.asarray(rows, dtype=np.intp)

    def nearest(self, fp: Fingerprint) -> Nearest:
        n = self._count
        if n == 0:
            return Nearest(64, 64, 0.0)
        char = int(np.bitwise_count(self._char[:n] ^ np.uint64(fp.char_simhash)).min())
        word = int(np.bitwise_count(self._word[:n] ^ np.uint64(fp.word_simhash)).min())
        rows = self._rows_of(fp.shingles, grow=False)
        inter = self._incidence[rows, :n].sum(axis=0, dtype=np.int64)
        union = self._sizes[:n] + len(fp.shingles) - inter
        jaccard = float((inter / np.maximum(union, 1)).max())
        return Nearest(char, word, jaccard)

    def add(self, fp: Fingerprint) -> None:
        if self._count == self._char.shape[0]:
            grow = self._count
            self._char = np.pad(self._char, (0, grow))
            self._word = np.pad(self._word, (0, grow))
            self._sizes = np.pad(self._sizes, (0, grow))
            self._incidence = np.pad(self._incidence, ((0, 0), (0, grow)))
        i = self._count
        self._char[i], self._word[i] = fp.char_simhash, fp.word_simhash
        self._sizes[i] = len(fp.shingles)
        rows = self._rows_of(fp.shingles, grow=True)  # may reallocate the matrix: call first
        self._incidence[rows, i] = 1
        self._count += 1
