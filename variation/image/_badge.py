"""The rep's corner badge: a white card with their QR code and/or name (visible by design)."""

from __future__ import annotations

import functools

import qrcode
from PIL import Image, ImageDraw, UnidentifiedImageError

from variation._errors import ImageDecodeError
from variation.image._formats import open_allowed
from variation.image._text import draw_text, text_size
from variation.image._types import RepBadge

_CARD_ALPHA = 235
_INK = (34, 34, 34)


def badge_box(badge: RepBadge, corner: str, canvas: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where the card sits: (left, top, right, bottom) on a canvas of size `canvas`."""
    width, height = _card_size(badge, min(canvas))
    margin = round(min(canvas) * 0.03)
    left = margin if corner[1] == "l" else canvas[0] - margin - width
    top = margin if corner[0] == "t" else canvas[1] - margin - height
    return left, top, left + width, top + height


def _card_size(badge: RepBadge, short_side: int) -> tuple[int, int]:
    width = round(badge.width * short_side)
    pad, qr_side = _layout(width)
    height = pad * 2 + (qr_side if _has_qr(badge) else 0)
    if badge.name:
        height += _name_px(badge.name, width - 2 * pad) * 6 // 5 + (pad if _has_qr(badge) else 0)
    return width, height


def _layout(width: int) -> tuple[int, int]:
    pad = max(2, round(width * 0.07))
    return pad, width - 2 * pad


def _has_qr(badge: RepBadge) -> bool:
    return bool(badge.qr_url or badge.qr_image)


def _name_px(name: str, room: int) -> int:
    """The largest size (at most a sixth of the card) at which `name` fits on one line."""
    size = max(8, room * 6 // 25)
    while size > 8 and text_size(name, size)[0] > room:
        size -= 1
    return size


@functools.lru_cache(maxsize=64)
def _qr(url: str | None, upload: bytes | None, side: int) -> Image.Image:
    if upload is not None:
        try:
            with open_allowed(upload) as raw:
                code = raw.convert("RGB")
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ImageDecodeError(f"the uploaded QR image cannot be read: {exc}") from None
        return code.resize((side, side), Image.Resampling.LANCZOS)
    maker = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    maker.add_data(url or "")
    maker.make(fit=True)
    matrix = maker.get_matrix()
    code = Image.new("L", (len(matrix), len(matrix)), 255)
    code.putdata([0 if dark else 255 for row in matrix for dark in row])
    return code.resize((side, side), Image.Resampling.NEAREST).convert("RGB")


def apply_badge(canvas: Image.Image, badge: RepBadge, box: tuple[int, int, int, int]) -> None:
    """Draw the card into `canvas` (which the caller owns) at `box`."""
    left, top, right, bottom = box
    width = right - left
    pad, qr_side = _layout(width)
    card = Image.new("RGBA", (width, bottom - top), (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle(
        (0, 0, card.width - 1, card.height - 1), radius=pad, fill=(255, 255, 255, _CARD_ALPHA)
    )
    y = pad
    if _has_qr(badge):
        card.paste(_qr(badge.qr_url, badge.qr_image, qr_side), (pad, pad))
        y += qr_side + pad
    if badge.name:
        size = _name_px(badge.name, width - 2 * pad)
        draw_text(draw, ((width - text_size(badge.name, size)[0]) // 2, y), badge.name, size, _INK)
    canvas.paste(card, (left, top), card)
