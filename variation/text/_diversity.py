"""The batch's diversity rule, judged on the body as well as on the whole copy.

Frame lines and the signature are what people skim past and what a detector can strip; the
body is what must differ. A copy clears the batch when, against every copy already issued
and the master:
- its body is not equal to theirs (letters and digits compared, as detectors do);
- its body's SimHash, over character 4-grams and over words, is at least
  `min_distance` bits away under every one of the engine's keyed hash functions, and on
  average over them at least `min_mean_distance` (a margin, so a function we do not use
  does not see it closer than `min_distance` either);
- its body's character-5-gram Jaccard stays below `max_jaccard`;
- the whole copy clears TextOptions' SimHash and 3-gram Jaccard thresholds.
"""

from __future__ import annotations

import itertools
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
    min_mean_distance: float = 7.0
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
    norm: str
    char: npt.NDArray[np.uint64]
    word: npt.NDArray[np.uint64]
    grams: frozenset[str]


def body_print(body: str, keys: tuple[bytes, ...] = ENGINE_KEYS) -> BodyPrint:
    norm = normalise(body)
    return BodyPrint(
        norm,
        keyed_simhashes(char_ngrams(norm, 4), keys),
        keyed_simhashes(words(body), keys),
        frozenset(char_ngrams(norm, 5)),
    )


@dataclass(frozen=True, slots=True)
class BodyNearest:
    """The closest issued body: least distance (any key, chars or words), the least mean
    distance over keys, the highest 5-gram Jaccard, and whether one is equal."""

    min_distance: int
    mean_distance: float
    jaccard: float
    equal: bool

    def score(self) -> tuple[bool, int, float, float]:
        """Larger is more distinct (used to pick the best of failed draws)."""
        return (not self.equal, self.min_distance, self.mean_distance, -self.jaccard)


class _Shingles:
    """Exact Jaccard of one set against many: a shingle × copy incidence matrix."""

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self._incidence = np.zeros((1024, 64), dtype=np.uint8)
        self._sizes = np.zeros(64, dtype=np.int64)
        self.count = 0

    def max_jaccard(self, grams: frozenset[str]) -> float:
        if not self.count:
            return 0.0
        rows = np.fromiter(
            (r for g in grams if (r := self._rows.get(g)) is not None), dtype=np.intp
        )
        inter = self._incidence[rows, : self.count].sum(axis=0, dtype=np.int64)
        union = self._sizes[: self.count] + len(grams) - inter
        return float((inter / np.maximum(union, 1)).max())

    def add(self, grams: frozenset[str]) -> None:
        for g in grams:
            self._rows.setdefault(g, len(self._rows))
        rows, cols = self._incidence.shape
        if len(self._rows) > rows or self.count == cols:
            grow = (max(len(self._rows), 2 * rows) - rows, cols if self.count == cols else 0)
            self._incidence = np.pad(self._incidence, ((0, grow[0]), (0, grow[1])))
            self._sizes = np.pad(self._sizes, (0, grow[1]))
        self._incidence[[self._rows[g] for g in grams], self.count] = 1
        self._sizes[self.count] = len(grams)
        self.count += 1


class DiversityIndex:
    """Issued copies (text and body) in arrays, so judging a candidate is a few numpy ops."""

    def __init__(self, rule: BodyDiversity = DEFAULT_BODY_RULE) -> None:
        self.rule = rule
        self._whole = FingerprintIndex()
        self._bodies: set[str] = set()
        self._char = np.zeros((0, len(rule.keys)), dtype=np.uint64)
        self._word = np.zeros((0, len(rule.keys)), dtype=np.uint64)
        self._shingles = _Shingles()

    def __len__(self) -> int:
        return len(self._whole)

    def nearest(self, text: str, body: BodyPrint) -> tuple[BodyNearest, Nearest]:
        whole = self._whole.nearest(fingerprint(text))
        if not len(self._char):
            return BodyNearest(64, 64.0, 0.0, body.norm in self._bodies), whole
        distances = np.concatenate(
            (
                np.bitwise_count(self._char ^ body.char[None, :]),
                np.bitwise_count(self._word ^ body.word[None, :]),
            ),
            axis=1,
        ).astype(np.int64)
        near = BodyNearest(
            int(distances.min()),
            float(distances.mean(axis=1).min()),
            self._shingles.max_jaccard(body.grams),
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
            and near.mean_distance >= rule.min_mean_distance
            and near.jaccard < rule.max_jaccard
            and whole.char_distance >= options.min_simhash_distance
            and whole.word_distance >= options.min_simhash_distance
            and whole.jaccard < options.max_jaccard
        )

    def add(self, text: str, body: BodyPrint) -> None:
        self._whole.add(fingerprint(text))
        self._bodies.add(body.norm)
        self._char = np.vstack((self._char, body.char[None, :]))
        self._word = np.vstack((self._word, body.word[None, :]))
        self._shingles.add(body.grams)


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
