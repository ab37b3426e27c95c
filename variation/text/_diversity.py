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

import dataclasses
import itertools
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Indel

from variation.text._fingerprint import Nearest, _feature_hash, char_ngrams, normalise, words
from variation.text._keyed import ENGINE_KEYS, _feature_hashes
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


class _Features:
    """The distinct features one index has met, each given a row: the count matrices of
    _Vectors are indexed by these rows, and each feature's SimHash votes (+1/-1 per bit) under
    the index's hash functions are worked out once, so a copy's SimHashes are one
    matrix-vector product instead of a hash per feature per draw. Counts and votes are small
    integers, exact in float32, so the results equal hashing feature by feature."""

    def __init__(self, keys: tuple[bytes, ...] = (), *, signed: bool = False) -> None:
        self._keys = keys
        self._signed = signed
        self._rows: dict[str, int] = {}
        bits = 64 * (len(keys) + 1) if signed else 0
        self.signs = np.zeros((1024, bits), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._rows)

    def _ids(self, features: Collection[str]) -> npt.NDArray[np.intp]:
        found = list(map(self._rows.get, features))
        if None in found:
            self._register([f for f, i in zip(features, found, strict=True) if i is None])
            found = list(map(self._rows.__getitem__, features))
        return np.array(found, dtype=np.intp)

    def vector(self, counts: Counter[str]) -> _Vector:
        ids = self._ids(counts)
        weights = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        # Squares of small integer counts sum exactly in float32: the same norm as in ints.
        norm = float(np.sqrt(float(weights @ weights))) or 1.0
        return _Vector(ids, weights, norm)

    def feature_set(self, features: set[str]) -> _Vector:
        """A set of features as a vector of ones (what Jaccard compares)."""
        return _Vector(self._ids(features), np.ones(len(features), dtype=np.float32), 1.0)

    def _register(self, new: list[str]) -> None:
        first = len(self._rows)
        for f in new:
            self._rows[f] = len(self._rows)
        if not self._signed:
            return
        if len(self._rows) > self.signs.shape[0]:
            grown = max(len(self._rows), 2 * self.signs.shape[0])
            self.signs = np.pad(self.signs, ((0, grown - self.signs.shape[0]), (0, 0)))
        # Per feature: the keyed digests, then the `simhash` package's MD5 value as
        # little-endian bytes (so unpacked bit i is numeric bit i, as in simhash()).
        raw = b"".join(
            _feature_hashes(f, self._keys) + _feature_hash(f).to_bytes(8, "little") for f in new
        )
        bits = np.unpackbits(
            np.frombuffer(raw, dtype=np.uint8).reshape(len(new), -1), axis=1, bitorder="little"
        )
        self.signs[first : first + len(new)] = 2 * bits.astype(np.float32) - 1

    def simhashes(self, vector: _Vector) -> npt.NDArray[np.uint64]:
        """One SimHash per key, then the MD5 one (all 0 for no features)."""
        votes = vector.weights @ self.signs[vector.ids]
        return np.packbits(votes > 0, bitorder="little").view("<u8").astype(np.uint64)


@dataclass(frozen=True, slots=True)
class _Vector:
    """A sparse count vector: feature rows (of one _Features), counts, Euclidean norm."""

    ids: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float32]
    norm: float

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class BodyPrint:
    """What the rule compares of a copy: its body's letters and digits, keyed SimHashes over
    character 4-grams and words and their count vectors; of the whole copy, its
    `simhash`-package SimHashes and its letters and digits. The n-gram sets Jaccard
    compares (body 5-grams, whole 3-grams) are made only when they are needed."""

    norm: str
    hashes: npt.NDArray[np.uint64]  # body: char 4-grams under each key, then words
    char: _Vector
    word: _Vector
    whole_char: int
    whole_word: int
    whole_norm: str


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
    """Count vectors of issued copies as a feature × copy matrix (rows: one _Features), so
    one candidate is compared with every copy in a few numpy operations: exact Jaccard of
    the feature sets and the largest cosine of the count vectors."""

    def __init__(self, features: _Features) -> None:
        self._features = features  # sets (feature_set) for max_jaccard, counts for max_cosine
        self._counts = np.zeros((1024, 64), dtype=np.float32)
        self._sizes = np.zeros(64, dtype=np.int64)  # distinct features per copy
        self._norms = np.zeros(64, dtype=np.float64)
        self.count = 0

    def _grow(self) -> None:
        rows, cols = self._counts.shape
        wanted = len(self._features)
        more_rows = max(wanted, 2 * rows) - rows if wanted > rows else 0
        more_cols = cols if self.count == cols else 0
        if more_rows or more_cols:
            self._counts = np.pad(self._counts, ((0, more_rows), (0, more_cols)))
            self._sizes = np.pad(self._sizes, (0, more_cols))
            self._norms = np.pad(self._norms, (0, more_cols))

    def _columns(self, vector: _Vector) -> npt.NDArray[np.float32]:
        self._grow()  # rows for features registered since the last copy was added
        return self._counts[vector.ids, : self.count]

    def max_jaccard(self, vector: _Vector) -> float:
        if not self.count:
            return 0.0
        # Vectors compared by Jaccard are sets (ones): the product counts shared features.
        inter = vector.weights @ self._columns(vector)
        union = self._sizes[: self.count] + vector.size - inter
        return float((inter / np.maximum(union, 1)).max())

    def max_cosine(self, vector: _Vector) -> float:
        if not self.count:
            return 0.0
        dots = vector.weights @ self._columns(vector)
        return float((dots / (np.maximum(self._norms[: self.count], 1e-9) * vector.norm)).max())

    def add(self, vector: _Vector) -> None:
        self._grow()
        self._counts[vector.ids, self.count] = vector.weights
        self._sizes[self.count] = vector.size
        self._norms[self.count] = vector.norm
        self.count += 1


class DiversityIndex:
    """Issued copies (text and body) in arrays, so judging a candidate is a few numpy ops.

    `print` turns a candidate into the features the rule compares, registering features
    this index has not met (their hashes are computed once per batch, not per draw)."""

    def __init__(self, rule: BodyDiversity = DEFAULT_BODY_RULE) -> None:
        self.rule = rule
        self._bodies: set[str] = set()
        self._hashes = np.zeros((64, 2 * len(rule.keys)), dtype=np.uint64)
        self._whole = np.zeros((64, 2), dtype=np.uint64)
        self._quads = _Features(rule.keys, signed=True)
        self._words_table = _Features(rule.keys, signed=True)
        self._fives, self._threes = _Features(), _Features()
        self._chars, self._words = _Vectors(self._quads), _Vectors(self._words_table)
        self._grams, self._shingles = _Vectors(self._fives), _Vectors(self._threes)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def print(self, text: str, body: str) -> BodyPrint:
        keys = len(self.rule.keys)
        norm = normalise(body)
        char = self._quads.vector(Counter(char_ngrams(norm, 4)))
        word = self._words_table.vector(Counter(words(body)))
        char_hashes, word_hashes = self._quads.simhashes(char), self._words_table.simhashes(word)
        if text == body:
            whole_char, whole_word = int(char_hashes[keys]), int(word_hashes[keys])
            whole_norm = norm
        else:
            whole_norm = normalise(text)
            whole_char = int(
                self._quads.simhashes(self._quads.vector(Counter(char_ngrams(whole_norm, 4))))[keys]
            )
            whole_word = int(
                self._words_table.simhashes(self._words_table.vector(Counter(words(text))))[keys]
            )
        return BodyPrint(
            norm,
            np.concatenate((char_hashes[:keys], word_hashes[:keys])),
            char,
            word,
            whole_char,
            whole_word,
            whole_norm,
        )

    def _grams_of(self, body: BodyPrint) -> _Vector:
        return self._fives.feature_set(set(char_ngrams(body.norm, 5)))

    def _shingles_of(self, body: BodyPrint) -> _Vector:
        return self._threes.feature_set(set(char_ngrams(body.whole_norm, 3)))

    def nearest(
        self,
        body: BodyPrint,
        options: TextOptions = DEFAULT_OPTIONS,
        *,
        beaten_by: tuple[bool, float] | None = None,
    ) -> tuple[BodyNearest, Nearest] | None:
        """The closest issued copy on every measure.

        `beaten_by`, the (not equal, margin) of BodyNearest.score of the best draw so far,
        lets a draw be dropped early: None when it fails the rule on the hash and angle
        measures alone and ranks below that draw on those two, so neither its verdict nor
        its rank can depend on the Jaccard measures, which are then not computed (they
        cost the most)."""
        n = len(self)
        if not n:
            return BodyNearest(64, 64, 64.0, 64.0, 0.0, body.norm in self._bodies), Nearest(
                64, 64, 0.0
            )
        distances = np.bitwise_count(self._hashes[:n] ^ body.hashes[None, :])
        keys = len(self.rule.keys)
        near = BodyNearest(
            int(distances[:, :keys].min()),
            int(distances[:, keys:].min()),
            expected_distance(self._chars.max_cosine(body.char)),
            expected_distance(self._words.max_cosine(body.word)),
            0.0,
            body.norm in self._bodies,
        )
        mine = np.array([body.whole_char, body.whole_word], dtype=np.uint64)
        whole_distances = np.bitwise_count(self._whole[:n] ^ mine[None, :])
        whole = Nearest(int(whole_distances[:, 0].min()), int(whole_distances[:, 1].min()), 0.0)
        if (
            beaten_by is not None
            and near.score(self.rule)[:2] < beaten_by
            and not self.verdict(near, whole, options)  # fails with Jaccard at its best, 0
        ):
            return None
        near = dataclasses.replace(near, jaccard=self._grams.max_jaccard(self._grams_of(body)))
        whole = dataclasses.replace(
            whole, jaccard=self._shingles.max_jaccard(self._shingles_of(body))
        )
        return near, whole

    def clears(self, body: BodyPrint, options: TextOptions = DEFAULT_OPTIONS) -> bool:
        found = self.nearest(body, options)
        assert found is not None  # only a `beaten_by` draw is dropped
        return self.verdict(*found, options)

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

    def add(self, body: BodyPrint) -> None:
        n = len(self)
        if n == self._hashes.shape[0]:
            self._hashes = np.pad(self._hashes, ((0, n), (0, 0)))
            self._whole = np.pad(self._whole, ((0, n), (0, 0)))
        self._hashes[n] = body.hashes
        self._whole[n] = (body.whole_char, body.whole_word)
        self._bodies.add(body.norm)
        self._chars.add(body.char)
        self._words.add(body.word)
        self._grams.add(self._grams_of(body))
        self._shingles.add(self._shingles_of(body))
        self._count += 1


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
        index.add(index.print(issued.text, issued.body or issued.text))
    candidate = _as_issued(copy)
    return index.clears(index.print(candidate.text, candidate.body or candidate.text), options)


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
