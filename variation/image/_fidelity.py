"""Fidelity of a copy: photometric SSIM and colour difference after undoing the geometry.

The engine knows where the picture sits on the canvas, so the reference is the master put
through the same geometry (the cached resized, trimmed, turned picture): what remains is the
photometric change, measured over the picture's own pixels at the hashing reduction.
"""

from __future__ import annotations

import weakref

import numpy as np
from PIL import Image
from scipy.ndimage import minimum_filter, uniform_filter

from variation.image._types import Fidelity, ImageOptions, VariantParams

_WINDOW = 7
_HALF = _WINDOW // 2
_SIDE = 160  # fidelity is measured with the picture's short side reduced to about this
_C1, _C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ample for SSIM to 4 places
_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.9505, 1.0, 1.089])


def _box(values: np.ndarray) -> np.ndarray:
    """Mean over every _WINDOW×_WINDOW window (valid positions only)."""
    return uniform_filter(values, _WINDOW)[_HALF:-_HALF, _HALF:-_HALF]


def ssim(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> float:
    """Mean SSIM of two luma arrays over windows lying wholly inside `valid`."""
    if min(a.shape) < _WINDOW:
        return 1.0
    mu_a, mu_b = _box(a), _box(b)
    var_a, var_b = _box(a * a) - mu_a**2, _box(b * b) - mu_b**2
    cov = _box(a * b) - mu_a * mu_b
    local = (
        (2 * mu_a * mu_b + _C1)
        * (2 * cov + _C2)
        / ((mu_a**2 + mu_b**2 + _C1) * (var_a + var_b + _C2))
    )
    inside = minimum_filter(valid, _WINDOW)[_HALF:-_HALF, _HALF:-_HALF]
    return float(local[inside].mean()) if inside.any() else 1.0


def _linear_table() -> np.ndarray:
    c = np.arange(256) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


# sRGB to linear light for every 8-bit level: a table look-up instead of a power per pixel;
# single precision is ample for a ΔE reported to 0.001.
_LINEAR = _linear_table().astype(np.float32)
_TO_XYZ = np.ascontiguousarray((_XYZ / _WHITE[:, None]).T, dtype=np.float32)


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of an sRGB uint8 array of shape (..., 3)."""
    xyz = _LINEAR[rgb] @ _TO_XYZ
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def measure(
    copy: Image.Image,
    picture: Image.Image,
    mask: Image.Image | None,
    params: VariantParams,
    options: ImageOptions,
) -> Fidelity:
    """Fidelity of `copy`, whose picture was pasted from `picture` through `mask`."""
    x, y = params.offset
    factor = max(1, min(picture.size) // _SIDE)
    ref, ref_luma, in_mask = _reference(picture, mask, factor)
    box = (x, y, x + picture.width, y + picture.height)
    inside = box[2] <= copy.width and box[3] <= copy.height
    region = copy if inside else copy.crop(box)  # a picture a pixel over the edge: pad it
    out = np.asarray(region.reduce(factor, box=box if inside else None))
    valid = _valid(in_mask, params, factor)
    score = ssim(ref_luma, out @ _LUMA, valid)
    # The mean colour difference is a smooth statistic: every other pixel each way is plenty.
    sample = valid[::2, ::2]
    delta_e = float(
        np.linalg.norm(lab(ref[::2, ::2][sample]) - lab(out[::2, ::2][sample]), axis=-1).mean()
    )
    width, height = params.content_size
    left, top, right, bottom = params.crop
    visible = (width - left - right) * (height - top - bottom) / (width * height)
    ok = (
        score >= options.min_ssim
        and visible >= options.min_visible
        and delta_e <= options.max_delta_e
    )
    return Fidelity(round(score, 4), round(visible, 4), round(delta_e, 3), _badge_cover(params), ok)


# The reduced reference of each placed picture, by id: a batch's cached pictures (and their
# masks) are the same objects copy after copy, so each is reduced once; an entry goes when its
# picture does.
_REFERENCES: dict[int, tuple[int, np.ndarray, np.ndarray, np.ndarray]] = {}


def _reference(
    picture: Image.Image, mask: Image.Image | None, factor: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The picture reduced by `factor` (RGB array), its luma, and where its mask is solid."""
    known = _REFERENCES.get(id(picture))
    if known is not None and known[0] == factor:
        return known[1], known[2], known[3]
    ref = np.asarray(picture.reduce(factor) if factor > 1 else picture)
    in_mask = np.ones(ref.shape[:2], dtype=bool)
    if mask is not None:
        in_mask = np.asarray(mask.reduce(factor) if factor > 1 else mask) == 255
    if known is None:
        weakref.finalize(picture, _REFERENCES.pop, id(picture), None)
    entry = _REFERENCES[id(picture)] = (factor, ref, ref @ _LUMA, in_mask)
    return entry[1], entry[2], entry[3]


def _valid(in_mask: np.ndarray, params: VariantParams, factor: int) -> np.ndarray:
    """Pixels of the picture to compare: inside the mask, off the line and the badge."""
    valid = in_mask.copy()
    edge = max(1, params.line_width // factor + 1)
    valid[:edge], valid[-edge:], valid[:, :edge], valid[:, -edge:] = False, False, False, False
    if params.badge_box is not None:
        left, top, right, bottom = params.badge_box
        x, y = params.offset
        valid[
            max(0, (top - y) // factor - 1) : max(0, (bottom - y) // factor + 2),
            max(0, (left - x) // factor - 1) : max(0, (right - x) // factor + 2),
        ] = False
    return valid if valid.any() else np.ones_like(valid)  # a picture a few px wide


def _badge_cover(params: VariantParams) -> float:
    if params.badge_box is None:
        return 0.0
    left, top, right, bottom = params.badge_box
    width, height = params.canvas_size
    return round((right - left) * (bottom - top) / (width * height), 4)
