"""Drawing mixed Chinese and Latin text with the vendored fonts (package data, see fonts/).

Droid Sans Fallback carries the CJK glyphs but no Latin; DejaVu Sans the reverse. Each run
of characters is drawn with the font that holds it, chosen by Unicode block.
"""

from __future__ import annotations

import functools
from importlib import resources
from io import BytesIO

from PIL import ImageDraw, ImageFont

_CJK_FONT = "DroidSansFallbackFull.ttf"
_LATIN_FONT = "DejaVuSans.ttf"
_CJK_BLOCKS = (
    (0x2E80, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x2FA1F),
)


@functools.cache
def _font_bytes(name: str) -> bytes:
    return resources.files("variation.image").joinpath("fonts", name).read_bytes()


@functools.lru_cache(maxsize=32)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(BytesIO(_font_bytes(name)), size)


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_BLOCKS)


def runs(text: str) -> list[tuple[str, str]]:
    """(font name, text) runs covering `text` in order."""
    out: list[tuple[str, str]] = []
    for char in text:
        name = _CJK_FONT if is_cjk(char) else _LATIN_FONT
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + char)
        else:
            out.append((name, char))
    return out


def text_size(text: str, size: int) -> tuple[int, int]:
    """Width of `text` drawn at `size` px, and the line height."""
    width = sum(round(font(name, size).getlength(part)) for name, part in runs(text))
    return width, round(size * 1.2)


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    size: int,
    fill: str | tuple[int, int, int],
) -> None:
    """Draw `text` with its top-left at `xy`, switching fonts per run."""
    x, y = xy
    for name, part in runs(text):
        typeface = font(name, size)
        draw.text((x, y + size), part, font=typeface, fill=fill, anchor="ls")
        x += round(typeface.getlength(part))
