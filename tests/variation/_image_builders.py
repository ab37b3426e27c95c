"""Builders for the image tests: small masters from the samples, and encoded files of every kind."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "images"


@functools.cache
def _sample(name: str, width: int) -> Image.Image:
    path = next(SAMPLES.glob(f"{name}*.jpg"))
    with Image.open(path) as raw:
        image = raw.convert("RGB")
    return image.resize(
        (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
    )


def sample(name: str = "01", *, width: int = 360) -> Image.Image:
    """A sample master shrunk to `width` (a fresh copy the test may keep)."""
    return _sample(name, width).copy()


def encoded(image: Image.Image, fmt: str = "JPEG", **save: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def exif_with(*, orientation: int | None = None, gps: bool = False) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    exif[0x010F] = "PhoneMaker"
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def animated(fmt: str, frames: int = 3) -> bytes:
    pictures = [Image.new("RGB", (40, 30), (60 * n, 90, 200 - 50 * n)) for n in range(frames)]
    return encoded(
        pictures[0], fmt, save_all=True, append_images=pictures[1:], duration=100, loop=0
    )


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny valid-looking PNG whose header claims `width`×`height` pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
