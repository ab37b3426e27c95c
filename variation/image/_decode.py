"""Bytes in, bytes out: safe decoding of an uploaded master and encoding of copies.

Decoding refuses bombs from the header alone (before any pixel is decoded), applies EXIF
orientation, converts ICC-tagged, CMYK, 16-bit and palette images to 8-bit sRGB RGB,
flattens transparency onto white and shrinks to WeCom's pixel limit (JPEGs shrink in the
decoder via `draft`). Encoding writes no metadata at all.
"""

from __future__ import annotations

import functools
import io
import warnings

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from variation._errors import (
    AnimatedImageError,
    ImageDecodeError,
    ImageTooLarge,
    UnsupportedImageFormat,
)
from variation.image._formats import ALLOWED_NAMES, open_allowed
from variation.image._types import WECOM_MAX_BYTES, WECOM_MAX_PIXELS, DecodedImage

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_LOSSLESS = frozenset({"PNG", "GIF"})
_FLAT_COLOURS = 4096


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def decode_image(
    data: bytes,
    *,
    allow_animated_first_frame: bool = False,
    max_pixels: int = 40_000_000,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DecodedImage:
    """Decode an uploaded image into an upright 8-bit sRGB RGB image within WeCom's limits.

    Raises ImageTooLarge (over `max_bytes`, or a header claiming over `max_pixels`),
    AnimatedImageError (several frames, unless `allow_animated_first_frame`) and
    ImageDecodeError (not an image, truncated; UnsupportedImageFormat for anything but
    JPEG, PNG, WebP, GIF and HEIC, told from the first bytes before any decoder runs).
    """
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the image is {len(data):,} bytes; the limit is {max_bytes:,}")
    raw = _open(data, max_pixels)
    frames = getattr(raw, "n_frames", 1)
    if frames > 1 and not allow_animated_first_frame:
        raise AnimatedImageError(
            f"the image is animated ({frames} frames); only still images can be varied"
        )
    source_format, source_size = raw.format or "unknown", raw.size
    if raw.format == "JPEG" and raw.size[0] * raw.size[1] > WECOM_MAX_PIXELS:
        raw.draft(raw.mode, _fitted(raw.size))
    try:
        raw.load()
        orientation = raw.getexif().get(0x0112, 1)
        upright = ImageOps.exif_transpose(raw)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(f"the image cannot be decoded ({exc})") from None
    icc = upright.info.get("icc_profile") or raw.info.get("icc_profile")
    has_alpha = upright.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    rgb, converted = to_srgb(upright, icc)
    rgb = fit_to_limit(rgb)
    flat = source_format in _LOSSLESS and rgb.getcolors(_FLAT_COLOURS) is not None
    return DecodedImage(
        rgb,
        source_format,
        source_size,
        has_alpha,
        flat,
        orientation not in (None, 1),
        converted,
        frames > 1,
    )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            raw = open_allowed(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(f"the image has too many pixels ({exc})") from None
    except UnsupportedImageFormat:
        raise
    except UnidentifiedImageError:
        raise ImageDecodeError(f"the file is not a readable {ALLOWED_NAMES} image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(f"the image header cannot be read ({exc})") from None
    width, height = raw.size
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"the image is {width}×{height} = {width * height:,} pixels; "
            f"the limit is {max_pixels:,}"
        )
    if width < 1 or height < 1:
        raise ImageDecodeError("the image has no pixels")
    return raw


def to_srgb(image: Image.Image, icc: bytes | None = None) -> tuple[Image.Image, bool]:
    """8-bit sRGB RGB from any mode; transparency goes onto white. True if ICC was applied."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = _sixteen_to_eight(image)
    if icc and image.mode in ("RGB", "CMYK", "L"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, profile, _srgb(), outputMode="RGB")
            if converted is not None:
                return converted, True
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to the plain conversion below
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB"), False
    if image.mode == "RGB":
        return image, False
    return image.convert("RGB"), False


def _sixteen_to_eight(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I") and values.max() > 255 else 255.0
    if image.mode == "F":
        top = max(1.0, float(values.max()))
    return Image.fromarray(np.clip(values / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")


def _fitted(size: tuple[int, int], limit: int = WECOM_MAX_PIXELS) -> tuple[int, int]:
    width, height = size
    if width * height <= limit:
        return size
    ratio = (limit / (width * height)) ** 0.5
    return max(1, int(width * ratio)), max(1, int(height * ratio))


def fit_to_limit(image: Image.Image) -> Image.Image:
    """`image` itself if within WeCom's pixel limit, else a shrunk copy (aspect kept)."""
    size = _fitted(image.size)
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)


def encode_image(image: Image.Image, *, fmt: str = "JPEG", quality: int = 88) -> bytes:
    """JPEG (progressive, 4:2:0) or PNG bytes with no EXIF, ICC, XMP or comment.

    Shrinks to WeCom's pixel limit first; a JPEG over 10 MB is re-encoded at lower quality.
    """
    if fmt not in ("JPEG", "PNG"):
        raise ValueError(f"fmt must be 'JPEG' or 'PNG', not {fmt!r}")
    rgb = fit_to_limit(image if image.mode == "RGB" else to_srgb(image)[0])
    if rgb.info:
        rgb = rgb.copy()
        rgb.info = {}  # Pillow would otherwise carry a source's ICC profile or comment over
    while True:
        out = io.BytesIO()
        if fmt == "PNG":
            rgb.save(out, "PNG", compress_level=6)
        else:
            rgb.save(
                out,
                "JPEG",
                quality=quality,
                progressive=True,
                subsampling="4:2:0",
                exif=b"",
                comment=b"",
                icc_profile=None,
            )
        if out.tell() <= WECOM_MAX_BYTES or quality <= 40:
            return out.getvalue()
        quality -= 10
