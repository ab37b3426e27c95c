"""Value types of the image engine: options in, parameters, hashes and fidelity out."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

# WeCom's limits for an image in a Moments post.
WECOM_MAX_PIXELS = 1_555_200
WECOM_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RepBadge:
    """A rep's visible corner badge: name and/or QR code (from `qr_url`, or `qr_image` bytes).

    `width` is the badge's share of the image's short side; `corner` is one of "tl", "tr",
    "bl", "br", or None to let the seed choose.
    """

    name: str | None = None
    qr_url: str | None = None
    qr_image: bytes | None = field(default=None, repr=False)
    corner: str | None = None
    width: float = 0.18

    def __post_init__(self) -> None:
        if not (self.name or self.qr_url or self.qr_image):
            raise ValueError("RepBadge needs a name, a qr_url or a qr_image")
        if self.corner not in (None, "tl", "tr", "bl", "br"):
            raise ValueError("RepBadge.corner must be tl, tr, bl, br or None")
        if not 0.08 <= self.width <= 0.4:
            raise ValueError("RepBadge.width must lie between 0.08 and 0.4")


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """How far a copy may move from the master, and what counts as a duplicate.

    Geometry: the picture is scaled into `scale` (share of the canvas, per axis) with an
    aspect nudge of up to `aspect`, placed at a per-rep offset, and the margin filled with a
    blurred extension or a flat frame tone; `rotate_rate` of copies turn by up to
    `max_rotation` degrees. Uniform borders may lose up to `max_crop` per side. `mirror` is
    for images the editor marked as holding no text. Colour moves by up to `colour` (relative
    brightness/contrast/gamma/tint). Duplicates are pHash ≤ `phash_threshold`, dHash ≤
    `dhash_threshold`, PDQ ≤ `pdq_threshold`; `*_margin` bits more are demanded so that a JPEG
    round trip or a full-resolution re-hash cannot bring a copy back inside.
    """

    min_scale: float = 0.82
    max_scale: float = 0.96
    aspect: float = 0.015
    rotate_rate: float = 0.4
    max_rotation: float = 1.2
    max_crop: float = 0.02
    mirror: bool = False
    colour: float = 0.04
    rep_badge: RepBadge | None = None
    phash_threshold: int = 8
    dhash_threshold: int = 8
    pdq_threshold: int = 31
    hash_margin: int = 1
    # A pair of copies' PDQ distance, re-hashed at full resolution after the JPEG round trip,
    # lay up to 12 bits below the engine's reduced-hash distance (1,000 reps of 01-astronaut:
    # 99.9th percentile 9, max 12; with 6, one team pair came out at 30).
    pdq_margin: int = 12
    max_attempts: int = 150
    min_ssim: float = 0.9
    min_visible: float = 0.97
    max_delta_e: float = 6.0
    jpeg_quality: int = 88

    def __post_init__(self) -> None:
        if not 0.7 <= self.min_scale <= self.max_scale <= 1.0:
            raise ValueError("ImageOptions scales must satisfy 0.7 <= min_scale <= max_scale <= 1")
        if not (0 <= self.rotate_rate <= 1 and 0 <= self.max_rotation <= 5):
            raise ValueError("ImageOptions rotation: rate in [0, 1], max_rotation in [0, 5]°")
        if not (
            0 <= self.aspect <= 0.05 and 0 <= self.max_crop <= 0.05 and 0 <= self.colour <= 0.15
        ):
            raise ValueError(
                "ImageOptions aspect/max_crop must lie in [0, 0.05], colour in [0, 0.15]"
            )
        if self.max_attempts < 1:
            raise ValueError("ImageOptions.max_attempts must be at least 1")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError("ImageOptions.jpeg_quality must lie between 1 and 100")


DEFAULT_OPTIONS = ImageOptions()


@dataclass(frozen=True, slots=True)
class VariantParams:
    """Everything drawn for one copy; JSON-serialisable with `dataclasses.asdict`.

    Geometry in output pixels: the master, optionally mirrored, is resized to `content_size`,
    trimmed by `crop` (left, top, right, bottom; flat borders only), turned by `angle` degrees
    and pasted with its top-left corner at `offset` on a canvas of `canvas_size`.
    `vary_image(master, seed=seed, slot=slot)` with the same options redraws exactly this copy.
    """

    seed: str
    canvas_size: tuple[int, int]
    content_size: tuple[int, int]
    offset: tuple[int, int]
    crop: tuple[int, int, int, int]
    angle: float
    mirrored: bool
    fill: str
    fill_rgb: tuple[int, int, int]
    line_rgb: tuple[int, int, int] | None
    line_width: int
    brightness: float
    contrast: float
    gamma: float
    tint: tuple[float, float, float]
    badge_box: tuple[int, int, int, int] | None = None
    slot: int | None = None


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """Perceptual hashes of a copy, each as an unsigned int (PDQ: 256 bits, big-endian bits).

    Computed on a box-reduced copy of the image: pHash and dHash equal their
    full-resolution values in practice, PDQ lies within a few bits (see BENCHMARKS.md).
    """

    phash: int
    dhash: int
    pdq: int

    def distances(self, other: ImageHashes) -> tuple[int, int, int]:
        """Hamming distances (pHash, dHash, PDQ) to `other`."""
        return (
            (self.phash ^ other.phash).bit_count(),
            (self.dhash ^ other.dhash).bit_count(),
            (self.pdq ^ other.pdq).bit_count(),
        )

    def as_hex(self) -> dict[str, str]:
        return {
            "phash": f"{self.phash:016x}",
            "dhash": f"{self.dhash:016x}",
            "pdq": f"{self.pdq:064x}",
        }


@dataclass(frozen=True, slots=True)
class Fidelity:
    """How close a copy stays to the master.

    `ssim`: SSIM of luma against the master put through the same geometry (so only the
    photometric change and resampling count), over the picture's area. `visible`: share of
    the master's area still shown (crops and rotation corners lost; a badge is counted apart,
    in `badge_cover`). `delta_e`: mean CIE76 colour difference over the picture.
    """

    ssim: float
    visible: float
    delta_e: float
    badge_cover: float
    within_bounds: bool


@dataclass(frozen=True, slots=True)
class ImageVariant:
    """One rep's copy: the image (RGB), how it was made, its hashes and fidelity.

    `attempts` counts draws (a batch re-draws until the copy clears the master and its team);
    `clears_batch` is False only when the attempts ran out and the most distinct draw was
    issued instead. `nearest` holds its smallest (pHash, dHash, PDQ) distances to the master
    and to its team's earlier copies.
    """

    image: Image.Image = field(repr=False, compare=False)
    params: VariantParams
    hashes: ImageHashes
    fidelity: Fidelity
    attempts: int = 1
    clears_batch: bool = True
    nearest: tuple[int, int, int] = (64, 64, 256)


@dataclass(frozen=True, slots=True)
class IssuedImage:
    """A copy issued earlier: its hashes and its rep's team (None: the only team)."""

    hashes: ImageHashes
    team: str | None = None


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """A master image made safe to vary: RGB, upright, sRGB, within WeCom's pixel limit.

    `needs_png` is True when the source was lossless with few colours or had transparency
    (flattened onto white), where JPEG would visibly smear flat areas or edges.
    """

    image: Image.Image = field(repr=False, compare=False)
    source_format: str
    source_size: tuple[int, int]
    has_alpha: bool
    needs_png: bool
    orientation_applied: bool
    icc_converted: bool
    first_frame_only: bool
