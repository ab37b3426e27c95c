"""momentcast's pure variation library: text and images, deterministic per seed.

Nothing here touches a database, a queue, the web, files, clocks or the environment.
"""

from variation._errors import (
    AnimatedImageError,
    DiversityError,
    ImageDecodeError,
    ImageInputError,
    ImageTooLarge,
    PlaceholderError,
    SpintaxError,
    VariationError,
)

__all__ = [
    "AnimatedImageError",
    "DiversityError",
    "ImageDecodeError",
    "ImageInputError",
    "ImageTooLarge",
    "PlaceholderError",
    "SpintaxError",
    "VariationError",
]
