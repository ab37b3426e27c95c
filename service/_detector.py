"""SEAM (issue 17): a stand-in for `variation.text.detector_report` until the engine's lands.

A detector a platform might run on the bodies: two copies are flagged when their character
5-gram Jaccard is at least 0.8 or their SimHash (64 bits over character 4-grams of letters
and digits) is at most 3 bits apart, under a keyed BLAKE2b the engine does not use.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from variation.text import normalise

_KEY = b"momentcast-meter-not-engine"


@dataclass(frozen=True)
class DetectorFigures:
    """What a standard near-duplicate detector makes of a batch's bodies."""

    pairs: int
    flagged_pairs: int  # char-5-gram Jaccard >= 0.8, or SimHash distance <= 3
    identical_bodies: int  # copies whose body equals an earlier copy's or the master's

    @property
    def flagged_share(self) -> float:
        return self.flagged_pairs / self.pairs if self.pairs else 0.0


@lru_cache(maxsize=65536)
def _gram_hash(gram: str) -> int:
    return int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8, key=_KEY).digest())


def _grams(text: str, n: int) -> frozenset[str]:
    return frozenset(text[i : i + n] for i in range(max(1, len(text) - n + 1)))


def _simhash(grams: frozenset[str]) -> int:
    weights = [0] * 64
    for gram in grams:
        value = _gram_hash(gram)
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit, weight in enumerate(weights) if weight > 0)


def figures(bodies: Sequence[str], master: str) -> DetectorFigures:
    plain = [normalise(body) for body in bodies]
    fives = [_grams(text, 5) for text in plain]
    hashes = [_simhash(_grams(text, 4)) for text in plain]
    flagged = 0
    for i, j in itertools.combinations(range(len(plain)), 2):
        union = len(fives[i] | fives[j]) or 1
        jaccard = len(fives[i] & fives[j]) / union
        if jaccard >= 0.8 or (hashes[i] ^ hashes[j]).bit_count() <= 3:
            flagged += 1
    seen = {normalise(master)}
    identical = 0
    for text in plain:
        identical += text in seen
        seen.add(text)
    pairs = len(plain) * (len(plain) - 1) // 2
    return DetectorFigures(pairs=pairs, flagged_pairs=flagged, identical_bodies=identical)
