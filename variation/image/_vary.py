"""vary_image: one rep's copy of a master image."""

from __future__ import annotations

import dataclasses
import random

from PIL import Image

from variation.image._badge import apply_badge, badge_box
from variation.image._decode import fit_to_limit, to_srgb
from variation.image._fidelity import measure
from variation.image._hashes import image_hashes
from variation.image._master import PreparedMaster
from variation.image._transforms import draw_params, placed_picture, render
from variation.image._types import (
    DEFAULT_OPTIONS,
    ImageHashes,
    ImageOptions,
    ImageVariant,
    RepBadge,
    VariantParams,
)

# Draws tried inside one call for a copy within the fidelity bounds; with the default
# options the first draw almost always is.
_DRAWS = 6


def prepare(image: Image.Image) -> PreparedMaster:
    """The master as every copy uses it: RGB, sRGB, within WeCom's pixel limit."""
    rgb = image if image.mode == "RGB" else to_srgb(image)[0]
    return PreparedMaster(fit_to_limit(rgb))


def vary_image(
    image: Image.Image,
    *,
    seed: int | str,
    options: ImageOptions = DEFAULT_OPTIONS,
    slot: int | None = None,
) -> ImageVariant:
    """One copy of `image` (never modified), a pure function of all arguments.

    The copy has the master's size (shrunk to WeCom's 1,555,200-pixel limit if larger) and
    shows the whole picture, reframed, filled, perhaps turned, with gentle colour changes and
    `options.rep_badge` if given. `slot` (the rep's place in a batch) spreads directions of
    change evenly over a batch; without it the seed alone chooses. Nothing is checked against
    other copies here: `issue_image_copies` does that.
    """
    return make_variant(prepare(image), str(seed), options, slot=slot, badge=options.rep_badge)


def draw_params_for(
    master: PreparedMaster,
    rng: random.Random,
    seed: str,
    options: ImageOptions,
    *,
    slot: int | None,
    badge: RepBadge | None,
) -> VariantParams:
    """One draw's parameters, the badge's place included."""
    params = draw_params(master, rng, seed, options, slot)
    if badge is None:
        return params
    corner = badge.corner or _widest_corner(params)
    return dataclasses.replace(params, badge_box=badge_box(badge, corner, master.size))


def _widest_corner(params: VariantParams) -> str:
    """The canvas corner with the widest margins, so the badge covers as little as it can."""
    (width, height), (x, y) = params.canvas_size, params.offset
    right = width - x - params.content_size[0]
    bottom = height - y - params.content_size[1]
    return ("t" if y >= bottom else "b") + ("l" if x >= right else "r")


def draw_candidate(
    master: PreparedMaster,
    seed: str,
    options: ImageOptions,
    *,
    slot: int | None,
    badge: RepBadge | None,
) -> tuple[VariantParams, Image.Image]:
    """One draw's parameters and image (badge included)."""
    params = draw_params_for(master, random.Random(seed), seed, options, slot=slot, badge=badge)
    copy = render(master, params)
    if badge is not None and params.badge_box is not None:
        apply_badge(copy, badge, params.badge_box)
    return params, copy


def finish(
    master: PreparedMaster,
    params: VariantParams,
    copy: Image.Image,
    options: ImageOptions,
    hashes: ImageHashes | None = None,
) -> ImageVariant:
    """The variant of a drawn candidate, with its fidelity measured (and hashes if not given)."""
    picture, mask = placed_picture(master, params)
    fidelity = measure(copy, picture, mask, params, options)
    return ImageVariant(copy, params, hashes or image_hashes(copy), fidelity)


def make_variant(
    master: PreparedMaster,
    seed: str,
    options: ImageOptions,
    *,
    slot: int | None,
    badge: RepBadge | None,
) -> ImageVariant:
    """A copy within the fidelity bounds if one of `_DRAWS` draws is (else the last draw)."""
    for draw in range(_DRAWS):
        draw_seed = seed if draw == 0 else f"{seed}|{draw}"
        params, copy = draw_candidate(master, draw_seed, options, slot=slot, badge=badge)
        variant = finish(master, params, copy, options)
        if variant.fidelity.within_bounds:
            break
    return variant
