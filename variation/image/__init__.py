"""Image variation: every rep's copy looks the same to a person and differs to perceptual hashes.

    decode_image(data, *, allow_animated_first_frame=False, max_pixels=..., max_bytes=...)
        -> DecodedImage
    encode_image(image, *, fmt="JPEG" | "PNG", quality=88) -> bytes
    vary_image(image, *, seed, options=ImageOptions(), slot=None) -> ImageVariant
    configure_process(*, blas_threads=1, pillow_blocks=8)   (once per process, at start-up)
    image_hashes(image) -> ImageHashes          (pHash, dHash: 64-bit ints; PDQ: 256-bit int)
    issue_image_copies(image, rep_keys, *, seed_prefix, teams=None, issued=(), options=...,
                       badges=None, progress=None) -> list[ImageVariant]

Inputs are decoded Pillow images (decode_image makes them safe); they are never modified.
Errors are the VariationError subclasses of variation._errors.
"""

from variation.image._batch import issue_image_copies
from variation.image._decode import decode_image, encode_image
from variation.image._hashes import image_hashes
from variation.image._process import configure_process
from variation.image._types import (
    WECOM_MAX_BYTES,
    WECOM_MAX_PIXELS,
    DecodedImage,
    Fidelity,
    ImageHashes,
    ImageOptions,
    ImageVariant,
    IssuedImage,
    RepBadge,
    VariantParams,
)
from variation.image._vary import vary_image

__all__ = [
    "WECOM_MAX_BYTES",
    "WECOM_MAX_PIXELS",
    "DecodedImage",
    "Fidelity",
    "ImageHashes",
    "ImageOptions",
    "ImageVariant",
    "IssuedImage",
    "RepBadge",
    "VariantParams",
    "configure_process",
    "decode_image",
    "encode_image",
    "image_hashes",
    "issue_image_copies",
    "vary_image",
]
