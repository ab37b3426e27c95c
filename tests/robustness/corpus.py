"""The bad-input corpus: hostile uploads, CSV files, publish bodies and beacons, each with
the status and error code the API must answer. Inputs are built on demand (nothing large is
committed). `python -m tests.robustness.corpus` prints the table kept in SECURITY.md."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pillow_heif
from PIL import Image

from tests.service.conftest import jpeg_bytes

Check = Callable[[dict[str, Any], bytes], None]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], dict[str, Any]]  # keyword arguments for the request
    status: int
    error: str | None = None
    outcome: str = ""  # for the table: what the caller sees
    check: Check | None = None  # further assertions on a success (body, first image)


def jpeg(*, seed: int = 0) -> bytes:
    return jpeg_bytes(seed=seed)


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_with_bad_crc() -> bytes:
    data = bytearray(encoded(Image.linear_gradient("L").resize((64, 48)), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 8] ^= 0xFF  # a byte of the compressed pixels; its CRC now disagrees
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header (with a valid CRC) claims `width`×`height` pixels."""
    data = encoded(Image.new("L", (8, 8)), "PNG")
    header = struct.pack(">II", width, height) + data[24:29]
    return data[:16] + header + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + data[33:]


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (32, 32), (i * 60, 0, 0)) for i in range(3)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def heic_rotated() -> bytes:
    """64×32 pixels stored, EXIF orientation 6: the upright photo is 32 wide, 64 high."""
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(Image.new("RGB", (64, 32), (200, 10, 10)), "HEIF", exif=exif.tobytes())


def sixteen_bit_png() -> bytes:
    return encoded(Image.new("I;16", (64, 48), 40000), "PNG")


def image(name: str, data: Callable[[], bytes], kind: str = "image/jpeg") -> Callable[[], Any]:
    return lambda: {"data": {"title": "素材"}, "files": [("images", (name, data(), kind))]}


def fields(**values: str) -> Callable[[], Any]:
    return lambda: {"data": {"title": "素材"} | values}


def size_is(width: int, height: int) -> Check:
    def check(body: dict[str, Any], stored: bytes) -> None:
        shown = body["images"][0]
        assert (shown["width"], shown["height"]) == (width, height)
        with Image.open(io.BytesIO(stored)) as decoded:
            assert (decoded.size, decoded.mode) == ((width, height), "RGB")
            assert "exif" not in decoded.info and "icc_profile" not in decoded.info

    return check


def text_is(expected: str) -> Check:
    def check(body: dict[str, Any], _stored: bytes) -> None:
        assert body["text"] == expected

    return check


def title_is(expected: str) -> Check:
    def check(body: dict[str, Any], _stored: bytes) -> None:
        assert body["title"] == expected

    return check


ZERO_WIDTH = "限时\u200b特价\u200c¥199\u200d，\ufeff咨询 138-1234-5678"
RTL = "\u202e9910-4321-831\u202c 电话 \u200f¥199\u200e"
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
BAD_IMAGE = "invalid_image"

UPLOADS = [
    Case("truncated JPEG", image("a.jpg", lambda: jpeg()[:4000]), 422, BAD_IMAGE),
    Case("JPEG cut after the header", image("a.jpg", lambda: jpeg()[:300]), 422, BAD_IMAGE),
    Case("PNG with a bad CRC", image("a.png", png_with_bad_crc, "image/png"), 422, BAD_IMAGE),
    Case(
        "decompression bomb (PNG header 30000×30000)",
        image("bomb.png", lambda: png_claiming(30000, 30000), "image/png"),
        422,
        BAD_IMAGE,
        "refused from the header, before decoding",
    ),
    Case(
        "7000×7000 PNG header (over the 40 Mpx limit)",
        image("big.png", lambda: png_claiming(7000, 7000), "image/png"),
        422,
        BAD_IMAGE,
    ),
    Case(
        "1×60000 image",
        image("strip.png", lambda: encoded(Image.new("L", (1, 60000), 90), "PNG"), "image/png"),
        422,
        "image_too_narrow",
        "refused: no copy of it could be made; nothing left on disk",
    ),
    Case(
        "CMYK JPEG",
        image("cmyk.jpg", lambda: encoded(Image.new("CMYK", (64, 48), (0, 90, 90, 10)), "JPEG")),
        201,
        outcome="stored as sRGB RGB",
        check=size_is(64, 48),
    ),
    Case(
        "16-bit greyscale PNG",
        image("deep.png", sixteen_bit_png, "image/png"),
        201,
        outcome="stored as 8-bit RGB",
        check=size_is(64, 48),
    ),
    Case(
        "animated GIF",
        image("anim.gif", animated_gif, "image/gif"),
        422,
        BAD_IMAGE,
        "refused: only still images",
    ),
    Case(
        "HEIC with EXIF rotation 6",
        image("photo.heic", heic_rotated, "image/heic"),
        201,
        outcome="stored upright (32×64), EXIF gone",
        check=size_is(32, 64),
    ),
    Case(
        "SVG with a script",
        image("x.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'),
        422,
        BAD_IMAGE,
    ),
    Case(
        "HTML renamed .jpg",
        image("x.jpg", lambda: b"<html><script>alert(1)</script></html>"),
        422,
        BAD_IMAGE,
    ),
    Case("zero-byte file", image("empty.jpg", lambda: b""), 422, BAD_IMAGE),
    Case(
        "50 MB file",
        image("huge.jpg", lambda: b"\xff\xd8\xff" + bytes(50 * 2**20)),
        413,
        "file_too_large",
        "refused before decoding",
    ),
    Case(
        "ten images",
        lambda: {
            "data": {"title": "t"},
            "files": [("images", (f"{i}.jpg", jpeg(seed=i), "image/jpeg")) for i in range(10)],
        },
        422,
        "too_many_images",
    ),
    Case(
        "text with zero-width characters",
        fields(text=ZERO_WIDTH),
        201,
        outcome="stored exactly as written",
        check=text_is(ZERO_WIDTH),
    ),
    Case(
        "text with RTL override marks",
        fields(text=RTL),
        201,
        outcome="stored exactly; escaped on pages",
        check=text_is(RTL),
    ),
    Case(
        "lone surrogate bytes (CESU) in the title",
        lambda: {
            "headers": {"content-type": "multipart/form-data; boundary=XX"},
            "content": b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
            b"\xed\xa0\x80\r\n--XX--\r\n",
        },
        422,
        "invalid_text",
        "refused: not UTF-8",
    ),
    Case("NUL character in the text", fields(text="特价\x00¥199"), 422, "invalid_text"),
    Case(
        "10,000 emoji as the text",
        fields(text="😀" * 10_000),
        422,
        "text_too_long",
        "refused: WeChat's 2,000-character limit",
    ),
    Case("10,000 emoji as the title", fields(title="😀" * 10_000), 422, "invalid_request"),
    Case(
        "<script> in title and text",
        fields(title=SCRIPT, text=SCRIPT),
        201,
        outcome="stored as written; escaped on every page",
        check=text_is(SCRIPT),
    ),
    Case(
        "template injection {{7*7}}",
        fields(title="{{7*7}}", text="{{7*7}} ${7*7}"),
        201,
        outcome="stored as written, never evaluated",
        check=title_is("{{7*7}}"),
    ),
]


def csv_file(data: Callable[[], bytes]) -> Callable[[], Any]:
    return lambda: {"files": {"file": ("reps.csv", data(), "text/csv")}}


def names_are(*expected: str) -> Check:
    def check(body: dict[str, Any], _stored: bytes) -> None:
        assert [rep["name"] for rep in body["reps"]] == list(expected)

    return check


BAD_CSV = "invalid_csv"
FORMULA = "=cmd|' /C calc'!A0"

CSVS = [
    Case(
        "UTF-8 CSV with a BOM",
        csv_file(lambda: "\ufeffname,team\n张三,一组\n".encode()),
        200,
        outcome="imported; BOM not part of the header",
        check=names_are("张三"),
    ),
    Case(
        "GBK CSV with Chinese headers",
        csv_file(lambda: "姓名,门店,手机\n李四,朝阳店,13812345678\n".encode("gbk")),
        200,
        outcome="imported, decoded as GBK",
        check=names_are("李四"),
    ),
    Case(
        "formula injection =cmd|...",
        csv_file(lambda: f"name,phone\n{FORMULA},+86 138\n".encode()),
        200,
        outcome="stored as literal text (exports defuse formulas)",
        check=names_are(FORMULA),
    ),
    Case(
        "duplicated rows with one external id",
        csv_file(lambda: b"name,external_id\nA,7\nA,7\n"),
        200,
        outcome="one rep",
        check=names_are("A"),
    ),
    Case(
        "identical rows without ids",
        csv_file(lambda: b"name,team\nB,x\nB,x\n"),
        200,
        outcome="one rep (exact duplicates dropped)",
        check=names_are("B"),
    ),
    Case("UTF-16 CSV", csv_file(lambda: "name\nE\n".encode("utf-16")), 422, BAD_CSV),
    Case("a PNG renamed .csv", csv_file(png_with_bad_crc), 422, BAD_CSV),
    Case("zero-byte CSV", csv_file(lambda: b""), 422, BAD_CSV),
    Case("header only", csv_file(lambda: b"name,team\n"), 422, BAD_CSV),
    Case("no name column", csv_file(lambda: b"team,phone\nx,1\n"), 422, BAD_CSV),
    Case("NUL inside a name", csv_file(lambda: b"name\nC\x00D\n"), 422, BAD_CSV),
    Case("a 200 kB field", csv_file(lambda: b"name\n" + b"x" * 200_000 + b"\n"), 422, BAD_CSV),
    Case("a 101-character name", csv_file(lambda: b"name\n" + b"n" * 101 + b"\n"), 422, BAD_CSV),
    Case(
        "6 MB CSV",
        csv_file(lambda: b"name\n" + b"a\n" * 3_200_000),
        413,
        "file_too_large",
    ),
]


def body(raw: bytes) -> Callable[[], Any]:
    return lambda: {"content": raw}


BAD_WINDOW = "bad_window"

PUBLISH_BODIES = [
    Case("empty body", body(b""), 200, outcome="published with the default window"),
    Case("not JSON", body(b"{"), 422, "invalid_request"),
    Case("a JSON array", body(b"[]"), 422, "invalid_request"),
    Case("5,000 nested arrays", body(b"[" * 5000), 400, "http_error"),
    Case("unknown field", body(b'{"teams": [], "admin": true}'), 422, "invalid_request"),
    # Since issue 15 refused by the one text layer (service.text) before teams are looked up.
    Case("lone surrogate in a team", body(b'{"teams": ["\\ud800"]}'), 422, "invalid_request"),
    Case("NUL in a team", body(b'{"teams": ["a\\u0000"]}'), 422, "invalid_request"),
    Case(
        "window ending before it starts",
        body(b'{"window_start": "2031-01-02T00:00:00+08:00", "window_end": "2031-01-01T00:00:00"}'),
        422,
        BAD_WINDOW,
    ),
    Case(
        "window in year 1",
        body(b'{"window_start": "0001-01-01T00:00:00", "window_end": "0001-01-01T01:00:00"}'),
        422,
        BAD_WINDOW,
    ),
    Case("timestamp 1e400", body(b'{"window_start": 1e400}'), 422, "invalid_request"),
    Case("quiet hours 25:00", body(b'{"quiet_hours": ["25:00", "08:00"]}'), 422, BAD_WINDOW),
    Case("one quiet-hours bound", body(b'{"quiet_hours": ["22:00"]}'), 422, BAD_WINDOW),
]


def beacon(raw: bytes | dict[str, Any]) -> Callable[[], Any]:
    return lambda: {"content": raw}


BAD_BEACON = "invalid_beacon"

BEACONS = [
    Case("a valid beacon", beacon({}), 204, outcome="queued"),
    Case("not JSON", beacon(b"{"), 422, BAD_BEACON),
    Case("4,000 nested arrays", beacon(b"[" * 4000), 422, "invalid_beacon"),
    Case("invalid UTF-8", beacon(b'{"t": "\xff\xfe"}'), 422, BAD_BEACON),
    Case(
        "lone surrogate in the token",
        beacon(b'{"t":"\\ud800aaaaaaaa","s":1,"v":0}'),
        422,
        BAD_BEACON,
    ),
    Case("NaN sequence", beacon({"s": float("nan")}), 422, BAD_BEACON),
    Case("negative time", beacon({"v": -1}), 422, BAD_BEACON),
    Case("<script> as a section id", beacon({"x": {"<script>": 5}}), 422, BAD_BEACON),
    Case("5 kB body", beacon(b"x" * 5000), 413, "beacon_too_large"),
    Case("forged token", beacon(b'{"t":"forged-token-123","s":1,"v":0}'), 403, "invalid_token"),
]


def table() -> str:
    """The SECURITY.md table: input, expected status, outcome."""
    lines = ["| Endpoint | Input | Status | Outcome |", "|---|---|---|---|"]
    for endpoint, cases in [
        ("POST /api/posts", UPLOADS),
        ("POST /api/reps/import", CSVS),
        ("POST /api/posts/{id}/publish", PUBLISH_BODIES),
        ("POST /t", BEACONS),
    ]:
        for case in cases:
            outcome = case.outcome or (f"`{case.error}`, nothing stored" if case.error else "ok")
            if case.error and case.outcome:
                outcome = f"`{case.error}`: {case.outcome}"
            lines.append(f"| `{endpoint}` | {case.name} | {case.status} | {outcome} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
