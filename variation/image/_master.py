"""A master prepared once per batch: what every copy reuses (resized content, fills, borders).

Resizing and rotating a 1080×1440 picture costs 15–35 ms, more than the JPEG encode that is
the floor of every copy; content sizes and angles are therefore drawn from a small grid, and
each grid point is rendered once per batch and kept here.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PIL import Image, ImageFilter

# Distinct (size, angle, mirror) renders kept; the default options use fewer than this.
_CACHE_SIZE = 40
_UNIFORM_STD = 3.0


class PreparedMaster:
    """The master (RGB, never modified) plus lazily computed, reusable pieces."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image if image.mode == "RGB" else image.convert("RGB")
        self.size = self.image.size
        self._content: OrderedDict[tuple[object, ...], tuple[Image.Image, Image.Image | None]]
        self._content = OrderedDict()
        self._blurred: Image.Image | None = None
        self._borders: tuple[int, int, int, int] | None = None
        self._edge_rgb: tuple[int, int, int] | None = None
        self._small: dict[int, Image.Image] = {}

    def content(
        self, size: tuple[int, int], angle: float, mirrored: bool
    ) -> tuple[Image.Image, Image.Image | None]:
        """The master resized to `size`, turned by `angle`° (expanded, with its mask)."""
        key = (size, angle, mirrored)
        if key in self._content:
            self._content.move_to_end(key)
            return self._content[key]
        source = self.image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirrored else self.image
        made = render_content(source, size, angle)
        self._content[key] = made
        if len(self._content) > _CACHE_SIZE:
            self._content.popitem(last=False)
        return made

    def small(self, factor: int) -> Image.Image:
        if factor not in self._small:
            self._small[factor] = self.image.reduce(factor) if factor > 1 else self.image
        return self._small[factor]

    def blurred(self) -> Image.Image:
        """A soft, slightly dimmed version of the master filling the canvas: the 'extended edge'."""
        if self._blurred is None:
            width, height = self.size
            tiny = self.image.reduce(max(1, min(width, height) // 64))
            soft = tiny.filter(ImageFilter.GaussianBlur(3)).point(lambda v: int(v * 0.9 + 8))
            self._blurred = soft.resize(self.size, Image.Resampling.BILINEAR)
        return self._blurred

    def uniform_borders(self) -> tuple[int, int, int, int]:
        """Depth in pixels (left, top, right, bottom) of each border that is one flat colour."""
        if self._borders is None:
            grey = np.asarray(self.image.convert("L"), dtype=np.float32)
            self._borders = (
                _flat_depth(grey.T),
                _flat_depth(grey),
                _flat_depth(grey.T[::-1]),
                _flat_depth(grey[::-1]),
            )
        return self._borders

    def edge_rgb(self) -> tuple[int, int, int]:
        """Mean colour of the outer 3% ring: a frame in this tone reads as part of the picture."""
        if self._edge_rgb is None:
            arr = np.asarray(self.small(4) if min(self.size) >= 256 else self.image, np.float32)
            ring = max(1, round(min(arr.shape[:2]) * 0.03))
            parts = [
                arr[:ring].reshape(-1, 3),
                arr[-ring:].reshape(-1, 3),
                arr[:, :ring].reshape(-1, 3),
                arr[:, -ring:].reshape(-1, 3),
            ]
            mean = np.concatenate(parts).mean(axis=0)
            self._edge_rgb = (int(mean[0]), int(mean[1]), int(mean[2]))
        return self._edge_rgb


def render_content(
    source: Image.Image, size: tuple[int, int], angle: float
) -> tuple[Image.Image, Image.Image | None]:
    resized = source.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    if not angle:
        return resized, None
    mask = Image.new("L", size, 255)
    turned = resized.rotate(angle, Image.Resampling.BILINEAR, expand=True)
    return turned, mask.rotate(angle, Image.Resampling.BILINEAR, expand=True)


def _flat_depth(rows: np.ndarray) -> int:
    """How many leading rows are flat and the colour of the first one (at most 10%)."""
    limit = max(1, rows.shape[0] // 10)
    first = float(np.median(rows[0]))
    for depth in range(limit):
        row = rows[depth]
        if row.std() > _UNIFORM_STD or abs(float(row.mean()) - first) > _UNIFORM_STD:
            return depth
    return limit
