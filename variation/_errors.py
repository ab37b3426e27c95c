"""Exceptions raised by the variation library.

    VariationError (ValueError)
    ├── SpintaxError          the master's {a|b} choices are malformed (carries .position)
    ├── PlaceholderError      a rewrite's ⟦n⟧ placeholders do not match its sentence
    ├── DiversityError        a batch could not be made diverse enough (text or image)
    └── ImageInputError       an image that cannot be varied safely
        ├── ImageDecodeError  not an image, truncated, or an unsupported format
        ├── ImageTooLarge     decompression bomb, too many pixels or bytes
        └── AnimatedImageError  animated GIF/WebP without the first-frame option

All are ValueErrors: they describe bad input, never a bug, so callers can turn them into
a 4xx response or a one-line CLI message.
"""

from __future__ import annotations


class VariationError(ValueError):
    """Base class for every error this library raises on bad input."""


class SpintaxError(VariationError):
    """Malformed editor-written alternatives; `position` is the 0-based character offset."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


class PlaceholderError(VariationError):
    """A rewrite candidate whose placeholders do not match its masked sentence one to one."""


class DiversityError(VariationError):
    """No candidate cleared the batch within the attempt budget."""


class ImageInputError(VariationError):
    """An image that cannot be varied safely."""


class ImageDecodeError(ImageInputError):
    """Not an image, a truncated image, or a format we do not read."""


class ImageTooLarge(ImageInputError):
    """Over the pixel or byte limit (decompression bombs included)."""


class AnimatedImageError(ImageInputError):
    """An animated image, refused unless the first frame is asked for explicitly."""
