"""SimHash under keyed 64-bit feature hashes, several functions at once.

A platform does not use our hash function, so a distance guarantee checked with one function
is not a guarantee. Each key gives an independent function (BLAKE2b keyed, 8-byte digest);
one call hashes every feature under every key and votes all of them in one matrix product.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

# The engine's own functions. Detector reports and benchmarks must use other keys.
ENGINE_KEYS: tuple[bytes, ...] = tuple(f"momentcast/engine/{i}".encode() for i in range(4))
DETECTOR_KEY = b"momentcast/detector-report"

Hashes = npt.NDArray[np.uint64]


@functools.lru_cache(maxsize=262144)
def _feature_hashes(feature: str, keys: tuple[bytes, ...]) -> bytes:
    data = feature.encode()
    return b"".join(hashlib.blake2b(data, key=key, digest_size=8).digest() for key in keys)


def keyed_simhashes(features: Iterable[str], keys: tuple[bytes, ...]) -> Hashes:
    """One 64-bit SimHash per key over `features` weighted by occurrences (0 when empty)."""
    counts = Counter(features)
    if not counts:
        return np.zeros(len(keys), dtype=np.uint64)
    raw = b"".join(_feature_hashes(f, keys) for f in counts)
    bits = np.unpackbits(
        np.frombuffer(raw, dtype=np.uint8).reshape(len(counts), 8 * len(keys)),
        axis=1,
        bitorder="little",
    )
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    votes = weights @ (2 * bits.astype(np.int64) - 1)
    return np.packbits(votes > 0, bitorder="little").view("<u8").astype(np.uint64)
