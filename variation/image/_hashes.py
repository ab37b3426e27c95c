"""pHash, dHash (64 bits, as imagehash defines them) and PDQ (pdqhash, 256 bits) as plain ints.

The engine hashes thousands of draws per image, and for images this small Pillow's resize
costs more than everything else in a hash. So pHash and dHash are computed here the way
imagehash computes them (grey, LANCZOS resize to 32×32 or 9×8, 8×8 low-frequency DCT,
comparisons), with the resize as two matrix products whose weights are Pillow's LANCZOS
coefficients, cached per image size, and rounded between the passes as Pillow does: the
results equal imagehash's on the same image (tests/variation/test_image_hashes.py).
PDQ is computed on a box-reduced copy whose short side stays at least `_MIN_SIDE`: it
shrinks to 64×64 first, so the reduction moves it only a few bits, for a tenth of the cost.
"""

from __future__ import annotations

import functools

import numpy as np
import pdqhash
from PIL import Image

from variation.image._types import ImageHashes

_MIN_SIDE = 256
_PHASH_SIDE, _DHASH_SIZE = 32, (9, 8)


def _lanczos_weights(in_size: int, out_size: int) -> np.ndarray:
    """Pillow's LANCZOS (antialiased, support 3) resampling of `in_size` samples to `out_size`
    as an (out_size × in_size) matrix, rows normalised as Pillow's coefficients are."""
    scale = in_size / out_size
    stretch = max(scale, 1.0)
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        centre = (i + 0.5) * scale
        lo = max(0, int(centre - 3 * stretch + 0.5))
        hi = min(in_size, int(centre + 3 * stretch + 0.5))
        x = (np.arange(lo, hi) - centre + 0.5) / stretch
        row = np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0.0)
        weights[i, lo:hi] = row / row.sum()
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=32)
def _weights(width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a grey image of this size: both hashes' horizontal weights side by side (one pass
    over the image serves both), then the vertical weights of pHash and of dHash."""
    across = np.concatenate(
        [_lanczos_weights(width, _PHASH_SIDE), _lanczos_weights(width, _DHASH_SIZE[0])]
    )
    return (
        np.ascontiguousarray(across.T),
        _lanczos_weights(height, _PHASH_SIDE),
        _lanczos_weights(height, _DHASH_SIZE[1]),
    )


def _dct_rows(size: int, count: int) -> np.ndarray:
    """The first `count` rows of the unnormalised DCT-II matrix (scipy.fftpack.dct's)."""
    k = np.arange(count)[:, None]
    n = np.arange(size)[None, :]
    return 2 * np.cos(np.pi * k * (2 * n + 1) / (2 * size))


_DCT = _dct_rows(_PHASH_SIDE, 8)


def reduction(size: tuple[int, int]) -> int:
    """The box-reduction factor that keeps the short side at least `_MIN_SIDE` pixels."""
    return max(1, min(size) // _MIN_SIDE)


def _bits(flags: np.ndarray) -> int:
    return int.from_bytes(np.packbits(flags.astype(bool).ravel()).tobytes(), "big")


def _rounded(values: np.ndarray) -> np.ndarray:
    """To whole grey levels and into 0–255, as Pillow stores a resize pass."""
    return np.clip(np.rint(values), 0, 255)


def phash_dhash(image: Image.Image) -> tuple[int, int]:
    """pHash and dHash alone (the cheap pair), of an image of any size."""
    grey = image if image.mode == "L" else image.convert("L")
    across, down_p, down_d = _weights(*grey.size)
    rows = _rounded(np.asarray(grey, dtype=np.float32) @ across)
    square = _rounded(down_p @ rows[:, :_PHASH_SIDE]).astype(np.float64)
    columns = _rounded(down_d @ rows[:, _PHASH_SIDE:])
    # Rounded so that equal coefficients stay equal whatever order the sums ran in: the
    # median comparison must not depend on the machine's BLAS.
    low = np.round(_DCT @ square @ _DCT.T, 6)
    return _bits(low > np.median(low)), _bits(columns[:, 1:] > columns[:, :-1])


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
