"""decode_image / encode_image: every awkward upload is normalised or refused with a clear error."""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from variation import AnimatedImageError, ImageDecodeError, ImageTooLarge
from variation.image import WECOM_MAX_PIXELS, decode_image, encode_image

from ._image_builders import animated, encoded, exif_with, png_header_claiming, sample, srgb_icc


def reopened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


class TestRefusedInputs:
    def test_truncated_jpeg_is_a_decode_error(self) -> None:
        data = encoded(sample(), "JPEG", quality=90)
        with pytest.raises(ImageDecodeError, match="cannot be decoded"):
            decode_image(data[: len(data) // 2])

    @pytest.mark.parametrize("data", [b"", b"hello, not an image", b"%PDF-1.7\n" + b"0" * 200])
    def test_not_an_image_is_a_decode_error(self, data: bytes) -> None:
        with pytest.raises(ImageDecodeError, match="not an image"):
            decode_image(data)

    @pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
    def test_animated_image_is_refused(self, fmt: str) -> None:
        with pytest.raises(AnimatedImageError, match="3 frames"):
            decode_image(animated(fmt))

    @pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
    def test_animated_image_gives_its_first_frame_when_asked(self, fmt: str) -> None:
        decoded = decode_image(animated(fmt), allow_animated_first_frame=True)
        assert decoded.first_frame_only and decoded.image.size == (40, 30)
        pixel = decoded.image.getpixel((20, 15))
        assert isinstance(pixel, tuple) and pixel[2] > 150  # frame 0 is the bluest

    def test_bomb_header_is_refused_before_decoding(self) -> None:
        with pytest.raises(ImageTooLarge, match="pixels"):
            decode_image(png_header_claiming(12_000, 12_000))

    def test_large_flat_png_over_the_pixel_limit_is_refused(self) -> None:
        data = encoded(Image.new("L", (5000, 4000), 200), "PNG")
        with pytest.raises(ImageTooLarge, match="limit is 10,000,000"):
            decode_image(data, max_pixels=10_000_000)

    def test_too_many_bytes_is_refused(self) -> None:
        data = encoded(sample(), "PNG")
        with pytest.raises(ImageTooLarge, match="bytes"):
            decode_image(data, max_bytes=len(data) - 1)


class TestNormalisation:
    def test_exif_orientation_is_applied(self) -> None:
        wide = sample(width=300)
        decoded = decode_image(encoded(wide, "JPEG", exif=exif_with(orientation=6)))
        assert decoded.orientation_applied
        assert decoded.image.size == (wide.height, wide.width)

    def test_cmyk_becomes_rgb(self) -> None:
        decoded = decode_image(encoded(sample().convert("CMYK"), "JPEG", quality=95))
        assert decoded.image.mode == "RGB"
        diff = np.abs(np.asarray(decoded.image, int) - np.asarray(sample(), int)).mean()
        assert diff < 12

    def test_sixteen_bit_png_becomes_eight_bit_with_its_tones(self) -> None:
        ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (32, 1))
        decoded = decode_image(encoded(Image.fromarray(ramp), "PNG"))
        row = np.asarray(decoded.image)[0, :, 0]
        assert decoded.image.mode == "RGB" and row[0] == 0 and row[-1] == 255
        assert np.all(np.diff(row.astype(int)) >= 0)

    def test_transparency_goes_onto_white_not_black(self) -> None:
        clear = Image.new("RGBA", (50, 40), (255, 0, 0, 0))
        clear.paste((0, 0, 255, 255), (0, 0, 25, 40))
        decoded = decode_image(encoded(clear, "PNG"))
        assert decoded.has_alpha
        assert decoded.image.getpixel((40, 20)) == (255, 255, 255)
        assert decoded.image.getpixel((10, 20)) == (0, 0, 255)

    def test_icc_profile_is_converted_and_not_carried_over(self) -> None:
        decoded = decode_image(encoded(sample(), "JPEG", icc_profile=srgb_icc()))
        assert decoded.icc_converted
        assert "icc_profile" not in reopened(encode_image(decoded.image)).info

    def test_heic_is_read(self) -> None:
        pillow_heif.register_heif_opener()
        decoded = decode_image(encoded(sample(width=128), "HEIF", quality=90))
        assert decoded.source_format == "HEIF" and decoded.image.size == (128, 171)

    def test_oversized_master_is_shrunk_to_the_wecom_limit(self) -> None:
        big = sample(width=360).resize((1500, 2000))
        decoded = decode_image(encoded(big, "JPEG"))
        width, height = decoded.image.size
        assert width * height <= WECOM_MAX_PIXELS and abs(width / height - 0.75) < 0.01

    @pytest.mark.parametrize(
        ("image", "png"),
        [
            (Image.new("RGB", (64, 64), (20, 120, 200)), True),
            (sample(width=200), False),
        ],
    )
    def test_flat_lossless_sources_ask_for_png(self, image: Image.Image, png: bool) -> None:
        assert decode_image(encoded(image, "PNG")).needs_png is png


class TestEncoding:
    def test_output_carries_no_exif_gps_icc_or_comment(self) -> None:
        data = encoded(
            sample(),
            "JPEG",
            exif=exif_with(gps=True),
            icc_profile=srgb_icc(),
            comment=b"shot at home",
        )
        decoded = decode_image(data)
        out = reopened(encode_image(decoded.image))
        assert not out.getexif() and not {"exif", "icc_profile", "comment"} & out.info.keys()

    def test_jpeg_is_progressive_420_at_the_given_quality(self) -> None:
        out = reopened(encode_image(sample(), quality=88))
        layers = getattr(out, "layer", [])  # JpegImageFile only
        assert out.info.get("progressive") and layers[0][1:3] == (2, 2)

    def test_png_on_request(self) -> None:
        assert reopened(encode_image(sample(), fmt="PNG")).format == "PNG"

    def test_unknown_format_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="fmt"):
            encode_image(sample(), fmt="GIF")
