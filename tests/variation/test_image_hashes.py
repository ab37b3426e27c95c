"""image_hashes: the engine's reduced hashes agree with full-resolution detectors."""

from __future__ import annotations

import imagehash
import numpy as np
import pdqhash
import pytest
from PIL import Image

from variation.image import ImageHashes, image_hashes, vary_image
from variation.image._hashes import phash_dhash

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


class TestOwnPhashDhash:
    """The engine computes pHash and dHash itself (matrix LANCZOS, 8×8 DCT) for speed; they
    are imagehash's hashes of the same image, give or take a rounding tie."""

    @pytest.mark.parametrize("name", ["01", "04", "07", "08", "10"])
    @pytest.mark.parametrize("width", [135, 270, 1080])
    def test_equal_to_imagehash_on_the_same_image(self, name: str, width: int) -> None:
        for seed in range(3):
            image = vary_image(sample(name, width=width), seed=seed).image
            expected = full_resolution(image)
            phash, dhash = phash_dhash(image)
            assert (phash ^ expected.phash).bit_count() <= 1
            assert (dhash ^ expected.dhash).bit_count() <= 1

    def test_flat_image_hashes_are_stable_ties(self) -> None:
        """A flat image's DCT is all ties but the mean: only that bit is set, as in imagehash,
        whatever float noise the matrix products leave."""
        flat = Image.new("RGB", (270, 360), (200, 120, 40))
        assert phash_dhash(flat) == (1 << 63, 0)
