"""Which image formats reach a decoder: what WeChat Moments shows, told by the magic bytes.

Pillow opens some forty formats, and some hand the file to other programs (EPS and PS to
Ghostscript) or to rarely exercised decoders. Uploads are recognised from their first bytes
before Pillow sees them, and Pillow is then allowed only the one format recognised.
"""

from __future__ import annotations

import functools
import io

import pillow_heif
from PIL import Image

from variation._errors import UnsupportedImageFormat

# Pillow's format names; HEIF (iPhone photos) is pillow-heif's plugin.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")
ALLOWED_NAMES = "JPEG, PNG, WebP, still GIF or HEIC"
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)


def sniff_format(data: bytes) -> str | None:
    """The allowed format `data` begins as (a name from ALLOWED_FORMATS), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


@functools.cache
def _register_heif() -> None:
    pillow_heif.register_heif_opener()


def open_allowed(data: bytes) -> Image.Image:
    """`Image.open` of `data`, lazily (no pixel decoded), restricted to its sniffed format.

    Raises UnsupportedImageFormat for anything but ALLOWED_FORMATS; Pillow's own errors
    (UnidentifiedImageError, OSError, ...) for a file that only starts like one."""
    found = sniff_format(data)
    if found is None:
        raise UnsupportedImageFormat(
            f"the file is not an image in a format we read ({ALLOWED_NAMES})"
        )
    _register_heif()
    return Image.open(io.BytesIO(data), formats=[found])
