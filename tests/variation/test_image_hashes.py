"""image_hashes: the engine's reduced hashes agree with full-resolution detectors."""

from __future__ import annotations

import imagehash
import numpy as np
import pdqhash
import pytest
from PIL import Image

from variation.image import ImageHashes, image_hashes, vary_image

from ._image_builders import sample


def full_resolution(image: Image.Image) -> ImageHashes:
    bits = lambda flags: int("".join("1" if f else "0" for f in np.ravel(flags)), 2)  # noqa: E731
    pdq, _ = pdqhash.compute(np.asarray(image))
    return ImageHashes(
        bits(imagehash.phash(image).hash), bits(imagehash.dhash(image).hash), bits(pdq)
    )


class TestReducedHashes:
    @pytest.mark.parametrize("name", ["01", "05", "08"])
    def test_close_to_full_resolution(self, name: str) -> None:
        image = vary_image(sample(name, width=1080), seed=name).image
        p, d, q = image_hashes(image).distances(full_resolution(image))
        assert p <= 2 and d <= 2 and q <= 10

    def test_identical_images_are_distance_zero(self) -> None:
        assert image_hashes(sample()).distances(image_hashes(sample())) == (0, 0, 0)

    def test_hex_form_has_fixed_widths(self) -> None:
        hexes = image_hashes(sample()).as_hex()
        assert (len(hexes["phash"]), len(hexes["dhash"]), len(hexes["pdq"])) == (16, 16, 64)
