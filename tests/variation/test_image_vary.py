"""vary_image: a copy that looks the same, moves the hashes, is a pure function of its inputs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from variation.image import (
    ImageOptions,
    RepBadge,
    encode_image,
    image_hashes,
    vary_image,
)

from ._image_builders import sample

MASTER = sample("01")
POSTER = sample("08")


def clears_master(master: Image.Image, copy: Image.Image) -> bool:
    p, d, q = image_hashes(copy).distances(image_hashes(master))
    return p > 8 and d > 8 and q > 31


class TestDeterminism:
    @settings(max_examples=8, deadline=None)
    @given(seed=st.one_of(st.integers(0, 10**9), st.text(min_size=1, max_size=12)))
    def test_same_seed_same_bytes(self, seed: int | str) -> None:
        first = vary_image(MASTER, seed=seed)
        again = vary_image(MASTER.copy(), seed=seed)
        assert encode_image(first.image) == encode_image(again.image)
        assert first.params == again.params and first.hashes == again.hashes

    def test_input_is_never_modified(self) -> None:
        master = sample("08")
        before = master.tobytes()
        vary_image(master, seed=3, options=ImageOptions(rep_badge=RepBadge(name="小王")))
        assert master.tobytes() == before and master.mode == "RGB"

    def test_params_say_how_to_redraw_the_copy(self) -> None:
        copy = vary_image(MASTER, seed="x", slot=7)
        again = vary_image(MASTER, seed=copy.params.seed, slot=copy.params.slot)
        assert again.hashes == copy.hashes

    def test_params_are_json_serialisable(self) -> None:
        params = dataclasses.asdict(vary_image(MASTER, seed=1).params)
        assert json.loads(json.dumps(params))["canvas_size"] == list(MASTER.size)


class TestGoldenValues:
    """Pinned outputs: a change here changes every rep's copy, so it must be deliberate."""

    @pytest.mark.parametrize(
        ("name", "seed", "content_size", "offset", "fill", "phash"),
        [
            ("01", "golden-1", (291, 394), (31, 9), "edge", "f292844db3339d8d"),
            ("08", "golden-2", (333, 451), (6, 2), "cream", "aa2b3d0a953ed54a"),
        ],
    )
    def test_pinned_copy(
        self,
        name: str,
        seed: str,
        content_size: tuple[int, int],
        offset: tuple[int, int],
        fill: str,
        phash: str,
    ) -> None:
        copy = vary_image(sample(name), seed=seed)
        assert (copy.params.content_size, copy.params.offset, copy.params.fill) == (
            content_size,
            offset,
            fill,
        )
        assert copy.hashes.as_hex()["phash"] == phash


class TestCopyKeepsThePicture:
    @pytest.mark.parametrize("seed", range(6))
    def test_fidelity_within_bounds(self, seed: int) -> None:
        fidelity = vary_image(POSTER, seed=seed).fidelity
        assert fidelity.within_bounds and fidelity.visible >= 0.97 and fidelity.ssim >= 0.9

    def test_output_keeps_the_master_size(self) -> None:
        assert vary_image(MASTER, seed=2).image.size == MASTER.size

    def test_oversized_master_gives_a_copy_within_the_wecom_limit(self) -> None:
        copy = vary_image(MASTER.resize((1200, 1600)), seed=2).image
        assert copy.width * copy.height <= 1_555_200

    def test_crops_only_trim_flat_borders(self) -> None:
        photo_crops = {vary_image(MASTER, seed=s).params.crop for s in range(12)}
        assert photo_crops == {(0, 0, 0, 0)}, "the astronaut photo has no flat border"

    def test_mirroring_only_when_the_editor_allows_it(self) -> None:
        assert not any(vary_image(MASTER, seed=s).params.mirrored for s in range(16))
        allowed = ImageOptions(mirror=True)
        assert any(vary_image(MASTER, seed=s, options=allowed).params.mirrored for s in range(16))

    def test_colour_moves_only_a_little(self) -> None:
        copy = vary_image(POSTER, seed=9)
        assert copy.fidelity.delta_e <= 6.0


class TestHashesMove:
    @pytest.mark.parametrize("name", ["01", "08"])
    def test_most_single_draws_clear_the_master(self, name: str) -> None:
        master = sample(name)
        cleared = sum(clears_master(master, vary_image(master, seed=s).image) for s in range(20))
        assert cleared >= 12

    def test_different_reps_get_different_hashes(self) -> None:
        hashes = {vary_image(MASTER, seed=f"rep-{n}", slot=n).hashes for n in range(12)}
        assert len(hashes) == 12


class TestBadge:
    def test_badge_name_and_qr_are_drawn_in_a_corner(self) -> None:
        badge = RepBadge(name="小王 Amy", qr_url="https://example.com/r/amy", corner="br")
        copy = vary_image(MASTER, seed=4, options=ImageOptions(rep_badge=badge))
        assert copy.params.badge_box is not None
        left, top, right, bottom = copy.params.badge_box
        assert right > MASTER.width * 0.9 and bottom > MASTER.height * 0.9
        card = np.asarray(copy.image.crop((left, top, right, bottom)).convert("L"))
        assert (card < 60).mean() > 0.15 and (card > 200).mean() > 0.3  # dark modules on white
        assert 0 < copy.fidelity.badge_cover < 0.1

    def test_uploaded_qr_image_is_used(self) -> None:
        qr = Image.new("RGB", (50, 50), "black")
        badge = RepBadge(qr_image=encode_image(qr, fmt="PNG"), corner="tl")
        copy = vary_image(MASTER, seed=4, options=ImageOptions(rep_badge=badge))
        left, top, right, _ = copy.params.badge_box or (0, 0, 0, 0)
        middle = (left + right) // 2, top + (right - left) // 2
        pixel = copy.image.getpixel(middle)
        assert isinstance(pixel, tuple) and max(pixel) < 60

    @pytest.mark.parametrize(
        "kwargs", [{}, {"name": "a", "corner": "middle"}, {"name": "a", "width": 0.9}]
    )
    def test_bad_badges_are_value_errors(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(ValueError, match="RepBadge"):
            RepBadge(**kwargs)  # type: ignore[arg-type]


class TestOptions:
    @pytest.mark.parametrize(
        "kwargs",
        [
            {"min_scale": 0.5},
            {"min_scale": 0.97, "max_scale": 0.9},
            {"rotate_rate": 2.0},
            {"colour": 0.5},
            {"max_attempts": 0},
            {"jpeg_quality": 0},
        ],
    )
    def test_out_of_range_options_are_value_errors(self, kwargs: dict[str, float]) -> None:
        with pytest.raises(ValueError, match="ImageOptions"):
            ImageOptions(**kwargs)  # type: ignore[arg-type]
