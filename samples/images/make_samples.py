"""Regenerate the sample master images in this folder (no downloads).

    PYTHONPATH=. .venv/bin/python samples/images/make_samples.py    (from the repository root)

Photos come from the data bundled with scikit-image and scikit-learn (dev dependencies),
cover-cropped and resized to the sizes phones post (1080×1440 portrait, 1080×1080 square,
1440×1080 landscape) and saved as JPEG q85. The posters are rendered here with the fonts
vendored in variation/image/fonts/. Output is deterministic for given library versions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps
from skimage import data as skdata
from sklearn.datasets import load_sample_image

from variation.image._text import draw_text, text_size

HERE = Path(__file__).resolve().parent
PORTRAIT, SQUARE, LANDSCAPE = (1080, 1440), (1080, 1080), (1440, 1080)

PHOTOS = {
    "01-astronaut.jpg": (skdata.astronaut, PORTRAIT),
    "02-coffee.jpg": (skdata.coffee, SQUARE),
    "03-chelsea.jpg": (skdata.chelsea, PORTRAIT),
    "04-rocket.jpg": (skdata.rocket, PORTRAIT),
    "05-china.jpg": (lambda: load_sample_image("china.jpg"), LANDSCAPE),
    "06-flower.jpg": (lambda: load_sample_image("flower.jpg"), PORTRAIT),
    "07-hubble.jpg": (skdata.hubble_deep_field, SQUARE),
}


def photo(array: np.ndarray, size: tuple[int, int]) -> Image.Image:
    return ImageOps.fit(Image.fromarray(array).convert("RGB"), size, Image.Resampling.LANCZOS)


def text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], words: str, px: int, fill: str) -> None:
    draw_text(draw, xy, words, px, fill)


def centred(draw: ImageDraw.ImageDraw, y: int, words: str, px: int, fill: str, width: int) -> None:
    draw_text(draw, ((width - text_size(words, px)[0]) // 2, y), words, px, fill)


def sale_poster() -> Image.Image:
    """Flat red, big yellow headline, text near the top and bottom edges (never to be cut)."""
    width, height = PORTRAIT
    image = Image.new("RGB", PORTRAIT, "#c8102e")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 110), fill="#8a0a1f")
    centred(draw, 28, "悦享生活馆 · 会员专享", 50, "#ffffff", width)
    centred(draw, 260, "双十一", 250, "#ffd700", width)
    centred(draw, 560, "全场五折起", 150, "#ffffff", width)
    draw.rounded_rectangle((190, 820, 890, 1040), radius=40, fill="#ffd700")
    centred(draw, 840, "¥199 起", 150, "#c8102e", width)
    centred(draw, 1130, "满299减50 · 第二件半价", 64, "#ffffff", width)
    draw.rectangle((0, height - 150, width, height), fill="#8a0a1f")
    centred(draw, height - 125, "11月1日—11日  咨询热线 138-0013-8000", 44, "#ffffff", width)
    centred(draw, height - 68, "杭州市西湖区文三路 88 号", 40, "#ffd7d7", width)
    return image


def tea_poster() -> Image.Image:
    """Cream background, dark-green vertical layout, flat colour blocks, small footer text."""
    height = SQUARE[1]
    image = Image.new("RGB", SQUARE, "#f6efe0")
    draw = ImageDraw.Draw(image)
    draw.ellipse((610, 90, 1010, 490), fill="#2f5d3a")
    text(draw, (700, 175), "新品", 120, "#f6efe0")
    text(draw, (70, 70), "茉莉", 210, "#2f5d3a")
    text(draw, (70, 300), "轻乳茶", 210, "#2f5d3a")
    draw.rectangle((70, 580, 1010, 590), fill="#c9a227")
    text(draw, (70, 640), "限时体验价 ¥16", 96, "#8b2e16")
    text(draw, (70, 780), "第二杯半价 · 买十送一", 64, "#2f5d3a")
    text(draw, (70, height - 110), "微信下单 小程序「茶山集」 营业时间 10:00-22:00", 36, "#6b6b6b")
    return image


def menu_poster() -> Image.Image:
    """A product photo on top and a flat text band below: the common mixed post."""
    width = PORTRAIT[0]
    image = Image.new("RGB", PORTRAIT, "#1d1d1f")
    image.paste(photo(skdata.coffee(), (width, 900)), (0, 0))
    draw = ImageDraw.Draw(image)
    centred(draw, 950, "手冲咖啡 买一送一", 110, "#ffffff", width)
    centred(draw, 1110, "每日 8:00-11:00 · 到店出示本图", 54, "#e0c097", width)
    centred(draw, 1250, "云朵咖啡 · 文三路店  0571-8765 4321", 44, "#bbbbbb", width)
    return image


def main() -> None:
    for name, (load, size) in PHOTOS.items():
        photo(load(), size).save(HERE / name, quality=85, optimize=True)
    posters = {
        "08-poster-sale.jpg": sale_poster,
        "09-poster-tea.jpg": tea_poster,
        "10-poster-coffee-menu.jpg": menu_poster,
    }
    for name, render in posters.items():
        render().save(HERE / name, quality=90, optimize=True)


if __name__ == "__main__":
    main()
