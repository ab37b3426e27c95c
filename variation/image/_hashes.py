"""pHash, dHash (imagehash, 64 bits) and PDQ (pdqhash, 256 bits) as plain ints.

Both 64-bit hashes shrink the image to 32×32 or 9×8 first, and PDQ to 64×64, so hashing a
box-reduced copy whose short side stays at least `_MIN_SIDE` gives the same pHash and dHash as
full resolution and a PDQ within a few bits, for a tenth of the cost.
"""

from __future__ import annotations

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from variation.image._types import ImageHashes

_MIN_SIDE = 256


def reduction(size: tuple[int, int]) -> int:
    """The box-reduction factor that keeps the short side at least `_MIN_SIDE` pixels."""
    return max(1, min(size) // _MIN_SIDE)


def _bits(flags: np.ndarray) -> int:
    return int.from_bytes(np.packbits(flags.astype(bool).ravel()).tobytes(), "big")


def phash_dhash(image: Image.Image) -> tuple[int, int]:
    """pHash and dHash alone (the cheap pair), of an image of any size."""
    return _bits(imagehash.phash(image).hash), _bits(imagehash.dhash(image).hash)


def hashes_of_reduced(small: Image.Image) -> ImageHashes:
    """Hashes of an image already box-reduced by `reduction(size)` (RGB)."""
    rgb = small if small.mode == "RGB" else small.convert("RGB")
    pdq, _quality = pdqhash.compute(np.asarray(rgb))
    phash, dhash = phash_dhash(rgb)
    return ImageHashes(phash=phash, dhash=dhash, pdq=_bits(pdq))


def image_hashes(image: Image.Image) -> ImageHashes:
    """pHash, dHash and PDQ of `image` (not modified), computed on a box-reduced copy."""
    factor = reduction(image.size)
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return hashes_of_reduced(rgb.reduce(factor) if factor > 1 else rgb)
