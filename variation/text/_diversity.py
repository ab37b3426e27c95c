"""The batch's diversity rule, judged on the body as well as on the whole copy.

Frame lines and the signature are what people skim past and what a detector can strip; the
body is what must differ. A copy clears the batch when, against every copy already issued
and the master:
- its body is not equal to theirs (letters and digits compared, as detectors do);
- its body's SimHash is at least `min_distance` bits away over character 4-grams and
  `min_word_distance` over words, under every one of the engine's keyed hash functions
  (a word SimHash of a short body is too noisy across functions for more than a floor:
  a pair at 4 under one function is at 0–8 under another);
- the SimHash distance expected under any hash function (from the angle between the
  feature count vectors) is at least `min_expected_char_distance` over character 4-grams
  and `min_expected_word_distance` over words: a margin that does not depend on a hash
  function, so a detector's function does not see the pair near 3 either (checking our
  own functions alone selects draws that look far only to them);
- its body's character-5-gram Jaccard stays below `max_jaccard`;
- the whole copy clears TextOptions' SimHash (`simhash`-package MD5 features) and 3-gram
  Jaccard thresholds; over words it needs only the body's word floor, for the same reason.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Indel

from variation.text._fingerprint import (
    FingerprintIndex,
    Nearest,
    char_ngrams,
    fingerprint,
    normalise,
    words,
)
from variation.text._keyed import ENGINE_KEYS, keyed_simhashes
from variation.text._types import DEFAULT_OPTIONS, TextOptions, TextVariant


@dataclass(frozen=True, slots=True)
class BodyDiversity:
    """Thresholds of the body rule (see the module docstring); the defaults are the batch's."""

    min_distance: int = 4
    min_word_distance: int = 2
    min_expected_char_distance: float = 10.0
    min_expected_word_distance: float = 6.0
    max_jaccard: float = 0.7
    keys: tuple[bytes, ...] = ENGINE_KEYS

    def __post_init__(self) -> None:
        if len(self.keys) < 4 or len(set(self.keys)) != len(self.keys):
            raise ValueError("BodyDiversity needs at least 4 distinct hash keys")


DEFAULT_BODY_RULE = BodyDiversity()


@dataclass(frozen=True, slots=True)
class IssuedText:
    """A copy already issued: its text and its body (None: the body is the whole text)."""

    text: str
    body: str | None = None


@dataclass(frozen=True, slots=True)
class BodyPrint:
    """What the rule compares of a body: its letters and digits, keyed SimHashes, and the
    feature counts (character 4-grams, words, character 5-grams)."""

    norm: str
    char: npt.NDArray[np.uint64]
    word: npt.NDArray[np.uint64]
    char_counts: Counter[str]
    word_counts: Counter[str]
    grams: Counter[str]


def body_print(body: str, keys: tuple[bytes, ...] = ENGINE_KEYS) -> BodyPrint:
    norm = normalise(body)
    char_counts, word_counts = Counter(char_ngrams(norm, 4)), Counter(words(body))
    return BodyPrint(
        norm,
        keyed_simhashes(char_counts.elements(), keys),
        keyed_simhashes(word_counts.elements(), keys),
        char_counts,
        word_counts,
        Counter(char_ngrams(norm, 5)),
    )


def expected_distance(cosine: float) -> float:
    """SimHash bits two texts differ in, on average over hash functions: 64·θ/π for the
    angle θ between their feature count vectors (Charikar). A pair far above 3 on this is
    far from 3 under any hash function, ours or a detector's."""
    return 64 * math.acos(min(max(cosine, -1.0), 1.0)) / math.pi


@dataclass(frozen=True, slots=True)
class BodyNearest:
    """The closest issued body on each measure: least keyed SimHash distance over chars
    and over words (any key), least expected distances, highest 5-gram Jaccard, and
    whether one is equal."""

    min_distance: int
    min_word_distance: int
    expected_char_distance: float
    expected_word_distance: float
    jaccard: float
    equal: bool

    def score(self, rule: BodyDiversity) -> tuple[bool, float, int, float]:
        """Larger is more distinct (used to pick the best of failed draws): the expected
        distances count by how far each is from its own threshold."""
        margin = min(
            self.expected_char_distance - rule.min_expected_char_distance,
            self.expected_word_distance - rule.min_expected_word_distance,
        )
        return (not self.equal, margin, self.min_distance, -self.jaccard)


class _Vectors:
    """Sparse count vectors of issued copies as a feature × copy matrix, so one candidate is
    compared with every copy in a few numpy operations: exact Jaccard of the feature sets
    and the largest cosine of the count vectors."""

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self._counts = np.zeros((1024, 64), dtype=np.float32)
        self._sizes = np.zeros(64, dtype=np.int64)  # distinct features per copy
        self._norms = np.zeros(64, dtype=np.float64)
        self.count = 0

    def _match(self, vector: Counter[str]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        known = [(r, c) for f, c in vector.items() if (r := self._rows.get(f)) is not None]
        rows = np.fromiter((r for r, _ in known), dtype=np.intp, count=len(known))
        return rows, np.fromiter((c for _, c in known), dtype=np.float32, count=len(known))

    def max_jaccard(self, vector: Counter[str]) -> float:
        if not self.count:
            return 0.0
        rows, _ = self._match(vector)
        inter = (self._counts[rows, : self.count] > 0).sum(axis=0, dtype=np.int64)
        union = self._sizes[: self.count] + len(vector) - inter
        return float((inter / np.maximum(union, 1)).max())

    def max_cosine(self, vector: Counter[str]) -> float:
        if not self.count:
            return 0.0
        rows, weights = self._match(vector)
        dots = weights @ self._counts[rows, : self.count]
        norm = np.sqrt(sum(c * c for c in vector.values())) or 1.0
        return float((dots / (np.maximum(self._norms[: self.count], 1e-9) * norm)).max())

    def add(self, vector: Counter[str]) -> None:
        for f in vector:
            self._rows.setdefault(f, len(self._rows))
        rows, cols = self._counts.shape
        if len(self._rows) > rows or self.count == cols:
            more_rows = max(len(self._rows), 2 * rows) - rows if len(self._rows) > rows else 0
            more_cols = cols if self.count == cols else 0
            self._counts = np.pad(self._counts, ((0, more_rows), (0, more_cols)))
            self._sizes = np.pad(self._sizes, (0, more_cols))
            self._norms = np.pad(self._norms, (0, more_cols))
        self._counts[[self._rows[f] for f in vector], self.count] = list(vector.values())
        self._sizes[self.count] = len(vector)
        self._norms[self.count] = np.sqrt(sum(c * c for c in vector.values()))
        self.count += 1


class DiversityIndex:
    """Issued copies (text and body) in arrays, so judging a candidate is a few numpy ops."""

    def __init__(self, rule: BodyDiversity = DEFAULT_BODY_RULE) -> None:
        self.rule = rule
        self._whole = FingerprintIndex()
        self._bodies: set[str] = set()
        self._hashes = np.zeros((64, 2 * len(rule.keys)), dtype=np.uint64)
        self._chars, self._words, self._grams = _Vectors(), _Vectors(), _Vectors()

    def __len__(self) -> int:
        return len(self._whole)

    def nearest(self, text: str, body: BodyPrint) -> tuple[BodyNearest, Nearest]:
        whole = self._whole.nearest(fingerprint(text))
        n = len(self)
        if not n:
            return BodyNearest(64, 64, 64.0, 64.0, 0.0, body.norm in self._bodies), whole
        mine = np.concatenate((body.char, body.word))
        distances = np.bitwise_count(self._hashes[:n] ^ mine[None, :])
        keys = len(self.rule.keys)
        near = BodyNearest(
            int(distances[:, :keys].min()),
            int(distances[:, keys:].min()),
            expected_distance(self._chars.max_cosine(body.char_counts)),
            expected_distance(self._words.max_cosine(body.word_counts)),
            self._grams.max_jaccard(body.grams),
            body.norm in self._bodies,
        )
        return near, whole

    def clears(self, text: str, body: BodyPrint, options: TextOptions = DEFAULT_OPTIONS) -> bool:
        near, whole = self.nearest(text, body)
        return self.verdict(near, whole, options)

    def verdict(self, near: BodyNearest, whole: Nearest, options: TextOptions) -> bool:
        rule = self.rule
        return (
            not near.equal
            and near.min_distance >= rule.min_distance
            and near.min_word_distance >= rule.min_word_distance
            and near.expected_char_distance >= rule.min_expected_char_distance
            and near.expected_word_distance >= rule.min_expected_word_distance
            and near.jaccard < rule.max_jaccard
            and whole.char_distance >= options.min_simhash_distance
            and whole.word_distance >= min(options.min_simhash_distance, rule.min_word_distance)
            and whole.jaccard < options.max_jaccard
        )

    def add(self, text: str, body: BodyPrint) -> None:
        n = len(self)
        if n == self._hashes.shape[0]:
            self._hashes = np.pad(self._hashes, ((0, n), (0, 0)))
        self._hashes[n] = np.concatenate((body.char, body.word))
        self._whole.add(fingerprint(text))
        self._bodies.add(body.norm)
        self._chars.add(body.char_counts)
        self._words.add(body.word_counts)
        self._grams.add(body.grams)


def _as_issued(item: str | IssuedText | TextVariant) -> IssuedText:
    if isinstance(item, str):
        return IssuedText(item)
    if isinstance(item, TextVariant):
        return IssuedText(item.text, item.body or item.text)
    return item


def batch_clears(
    copy: str | IssuedText | TextVariant,
    others: Sequence[str | IssuedText | TextVariant],
    *,
    master: str | None = None,
    options: TextOptions = DEFAULT_OPTIONS,
    rule: BodyDiversity = DEFAULT_BODY_RULE,
) -> bool:
    """THE batch rule: whether `copy` may be issued beside `others` (and `master`, when
    given, whose body is itself). A plain string's body is the whole string; pass
    IssuedText(text, body) or the TextVariant to judge the body apart from frame lines."""
    index = DiversityIndex(rule)
    for other in (*others, *((master,) if master is not None else ())):
        issued = _as_issued(other)
        index.add(issued.text, body_print(issued.body or issued.text, rule.keys))
    candidate = _as_issued(copy)
    body = body_print(candidate.body or candidate.text, rule.keys)
    return index.clears(candidate.text, body, options)


def copy_body(text: str, master: str) -> str:
    """The body of a copy issued without one on record: `text` without the lines it has
    beyond `master`'s (a signature line `—— …`, then frame lines, which stand at the top,
    after the first line or at the end), choosing the placement whose remaining lines best
    match the master's, line by line. Exact for copies of this engine's voices."""
    lines, master_lines = text.split("\n"), master.split("\n")
    if len(lines) > len(master_lines) and lines[-1].startswith("—— "):
        lines = lines[:-1]
    extra = len(lines) - len(master_lines)
    if extra <= 0:
        return "\n".join(lines)
    best = max(_placements(len(lines), extra), key=lambda drop: _match(lines, drop, master_lines))
    return "\n".join(line for i, line in enumerate(lines) if i not in best)


def _placements(count: int, extra: int) -> list[frozenset[int]]:
    """Sets of `extra` added-line indices a voice can produce: top, after-first, end."""
    slots = [0, 1, count - 1]
    found = {frozenset(c) for c in itertools.combinations(slots, extra) if len(set(c)) == extra}
    return sorted(found, key=sorted) or [frozenset(range(count - extra, count))]


def _match(lines: list[str], drop: frozenset[int], master_lines: list[str]) -> float:
    kept = [line for i, line in enumerate(lines) if i not in drop]
    return sum(Indel.normalized_similarity(a, b) for a, b in zip(kept, master_lines, strict=False))
