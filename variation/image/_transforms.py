"""Drawing one copy's parameters and rendering them: reframe, fill, line, rotate, colour.

Every change keeps the whole picture (crops only trim flat borders), so text is never cut.
Hashes move because the picture shifts inside a frame whose sides, tone and width differ per
rep; the picture's size, aspect and angle come from a small grid so that renders are reused.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw

from variation.image._master import PreparedMaster
from variation.image._types import ImageOptions, VariantParams

_SCALE_STEP = 0.02
_TURNED_SCALES = 3
_ANGLE_LEVELS = (0.6, 1.0)
_TONES = {
    "white": (250, 250, 248),
    "cream": (244, 237, 222),
    "grey": (226, 226, 226),
    "charcoal": (44, 44, 46),
    "black": (14, 14, 14),
}
_FILLS = ("blur", "edge", "edge-dark", "edge-light", *_TONES)
_PRIMES = (2, 3, 5, 7, 11, 13)


def halton(index: int, base: int) -> float:
    """The index-th point (1-based) of the van der Corput sequence in `base`."""
    result, fraction = 0.0, 1.0
    while index > 0:
        fraction /= base
        index, digit = divmod(index, base)
        result += digit * fraction
    return result


def directions(rng: random.Random, slot: int | None) -> list[float]:
    """Six numbers in [0, 1) choosing the copy's direction of change.

    With a slot (the rep's place in its batch) they are a Halton point shifted by the seed,
    so a team's reps spread evenly over offsets, fills and angles instead of clustering.
    """
    shifts = [rng.random() for _ in _PRIMES]
    if slot is None:
        return shifts
    return [
        (halton(slot + 1, base) + shift) % 1.0 for base, shift in zip(_PRIMES, shifts, strict=True)
    ]


def _edge_bias(u: float) -> float:
    """Map [0, 1) to an offset fraction that favours the sides: asymmetric frames move hashes."""
    centred = 2 * u - 1
    return 0.5 + 0.5 * math.copysign(abs(centred) ** 0.5, centred)


def _fill_rgb(fill: str, master: PreparedMaster) -> tuple[int, int, int]:
    edge = master.edge_rgb()
    if fill == "edge-dark":
        return (edge[0] * 5 // 10, edge[1] * 5 // 10, edge[2] * 5 // 10)
    if fill == "edge-light":
        return (
            edge[0] + (255 - edge[0]) * 6 // 10,
            edge[1] + (255 - edge[1]) * 6 // 10,
            edge[2] + (255 - edge[2]) * 6 // 10,
        )
    return _TONES.get(fill, edge)


def draw_params(
    master: PreparedMaster, rng: random.Random, seed: str, options: ImageOptions, slot: int | None
) -> VariantParams:
    """Draw one copy's geometry, fill and colour from `rng` (and the slot's direction)."""
    u_x, u_y, u_fill, u_scale, u_angle, u_line = directions(rng, slot)
    width, height = master.size
    mirrored = options.mirror and rng.random() < 0.5
    angle = 0.0
    if rng.random() < options.rotate_rate and options.max_rotation > 0:
        level = _ANGLE_LEVELS[int(u_angle * 2 * len(_ANGLE_LEVELS)) % len(_ANGLE_LEVELS)]
        angle = round(options.max_rotation * level * (1 if u_angle < 0.5 else -1), 2)
    top = options.max_scale - (math.sin(math.radians(abs(angle))) * 1.4 if angle else 0.0)
    if angle:  # fewer sizes for turned pictures: each one is a 35 ms render to cache
        scale = options.min_scale + (top - options.min_scale) * (
            math.floor(u_scale * _TURNED_SCALES) / max(1, _TURNED_SCALES - 1)
        )
        aspect = 0.0
    else:
        steps = max(0, math.floor((top - options.min_scale) / _SCALE_STEP + 1e-9))
        scale = options.min_scale + _SCALE_STEP * math.floor(u_scale * (steps + 1))
        aspect = options.aspect * rng.choice((-1, 0, 1))
    content = (round(width * min(scale * (1 + aspect), top)), round(height * scale))
    crop = _crop(master, content, rng, options) if not angle else (0, 0, 0, 0)
    box = _turned_size((content[0] - crop[0] - crop[2], content[1] - crop[1] - crop[3]), angle)
    if box[0] > width or box[1] > height:  # a very long picture: turn it less far instead
        return draw_params(master, rng, seed, replace(options, max_rotation=0.0), slot)
    offset = (round(_edge_bias(u_x) * (width - box[0])), round(_edge_bias(u_y) * (height - box[1])))
    fill = _FILLS[int(u_fill * len(_FILLS))]
    line = _TONES["white" if sum(_fill_rgb(fill, master)) < 384 else "charcoal"]
    line_width = (
        round(min(width, height) * rng.uniform(0.002, 0.006)) if u_line < 0.35 and not angle else 0
    )
    c = options.colour
    return VariantParams(
        seed=seed,
        slot=slot,
        canvas_size=master.size,
        content_size=content,
        offset=offset,
        crop=crop,
        angle=angle,
        mirrored=mirrored,
        fill=fill,
        fill_rgb=_fill_rgb(fill, master),
        line_rgb=line if line_width else None,
        line_width=line_width,
        brightness=round(rng.uniform(-c, c), 4),
        contrast=round(rng.uniform(-c, c), 4),
        gamma=round(rng.uniform(-c, c) * 1.5, 4),
        tint=(round(rng.uniform(-c, c) / 3, 4), 0.0, round(rng.uniform(-c, c) / 3, 4)),
    )


def _crop(
    master: PreparedMaster, content: tuple[int, int], rng: random.Random, options: ImageOptions
) -> tuple[int, int, int, int]:
    """Trim only borders that are one flat colour, by at most `max_crop` of the side, and
    never below `min_visible` of the picture."""
    max_crop = options.max_crop
    sx, sy = content[0] / master.size[0], content[1] / master.size[1]
    flat = master.uniform_borders()
    limits = (
        min(flat[0] * sx, content[0] * max_crop),
        min(flat[1] * sy, content[1] * max_crop),
        min(flat[2] * sx, content[0] * max_crop),
        min(flat[3] * sy, content[1] * max_crop),
    )
    crop = (
        int(limits[0] * rng.random()),
        int(limits[1] * rng.random()),
        int(limits[2] * rng.random()),
        int(limits[3] * rng.random()),
    )
    kept = (content[0] - crop[0] - crop[2]) * (content[1] - crop[1] - crop[3])
    return crop if kept >= (options.min_visible + 0.002) * content[0] * content[1] else (0, 0, 0, 0)


def _turned_size(size: tuple[int, int], angle: float) -> tuple[int, int]:
    if not angle:
        return size
    cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    return (math.ceil(size[0] * cos + size[1] * sin), math.ceil(size[0] * sin + size[1] * cos))


def render(master: PreparedMaster, params: VariantParams, *, colour: bool = True) -> Image.Image:
    """The copy `params` describe, before any badge: a new RGB image of the master's size.

    `colour=False` skips the colour table, which moves no hash: for screening draws.
    """
    picture, mask = placed_picture(master, params)
    canvas = (
        master.blurred().copy()
        if params.fill == "blur"
        else Image.new("RGB", params.canvas_size, params.fill_rgb)
    )
    canvas.paste(picture, params.offset, mask)
    if params.line_rgb is not None:
        x, y = params.offset
        half = params.line_width // 2
        ImageDraw.Draw(canvas).rectangle(
            (x - half, y - half, x + picture.width - 1 + half, y + picture.height - 1 + half),
            outline=params.line_rgb,
            width=params.line_width,
        )
    return canvas.point(colour_lut(params)) if colour else canvas


def scaled(params: VariantParams, factor: int, size: tuple[int, int]) -> VariantParams:
    """`params` for a master box-reduced by `factor` to `size` (a cheap screening proxy)."""

    def pair(values: tuple[int, int]) -> tuple[int, int]:
        return values[0] // factor, values[1] // factor

    def box(values: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (*pair(values[:2]), *pair(values[2:]))

    return replace(
        params,
        canvas_size=size,
        content_size=pair(params.content_size),
        offset=pair(params.offset),
        crop=box(params.crop),
        line_width=params.line_width // factor,
        badge_box=None if params.badge_box is None else box(params.badge_box),
    )


def placed_picture(
    master: PreparedMaster, params: VariantParams
) -> tuple[Image.Image, Image.Image | None]:
    """The master as it sits on the canvas (resized, trimmed, mirrored, turned) and its mask."""
    content, mask = master.content(params.content_size, params.angle, params.mirrored)
    if any(params.crop):
        left, top, right, bottom = params.crop
        content = content.crop((left, top, content.width - right, content.height - bottom))
    return content, mask


def colour_lut(params: VariantParams) -> list[int]:
    """One 768-entry table: gamma, contrast about mid-grey, brightness and a warm/cool tint."""
    level = (np.arange(256) / 255) ** (1 + params.gamma)
    level = ((level - 0.5) * (1 + params.contrast) + 0.5) * (1 + params.brightness)
    gains = 1 + np.array(params.tint)[:, None]
    return np.clip(np.rint(level[None, :] * gains * 255), 0, 255).astype(int).ravel().tolist()
