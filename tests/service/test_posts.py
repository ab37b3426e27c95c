"""Editors upload master posts; every bad input is a clear 4xx and stores nothing."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from service.runtime import Runtime
from tests.service.conftest import Org, jpeg_bytes

TEXT = "【新品】轻薄羽绒服到店，原价¥599，今天只要¥399！电话 138-0013-8000 #冬季上新#"


def upload(
    client: TestClient,
    org: Org,
    *,
    title: str = "羽绒服",
    text: str = TEXT,
    images: Sequence[tuple[str, bytes]] = (),
    protected: Sequence[str] = (),
    article: str | None = None,
) -> Any:
    files = [("images", (name, data, "application/octet-stream")) for name, data in images]
    data: dict[str, Any] = {"title": title, "text": text, "protected": list(protected)}
    if article is not None:
        data["article"] = article
    return client.post("/api/posts", headers=org.editor, data=data, files=files or None)


def stored_files(runtime: Runtime) -> set[Path]:
    return {path for path in runtime.settings.media_dir.rglob("*") if path.is_file()}


def encoded(fmt: str, **save: Any) -> bytes:
    """The test photo re-saved as `fmt` (WEBP, HEIF, an animated GIF with save_all...)."""
    if fmt == "HEIF":
        pillow_heif.register_heif_opener()
    image = Image.open(io.BytesIO(jpeg_bytes()))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def png_bomb() -> bytes:
    """A tiny PNG that claims 20000×20000 pixels (400 MP)."""
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")
    return buffer.getvalue()


class TestCreatePost:
    def test_post_with_images_is_created_as_a_draft(self, client: TestClient, org: Org) -> None:
        response = upload(
            client,
            org,
            images=[("a.jpg", jpeg_bytes(seed=1)), ("b.png", jpeg_bytes(seed=2, fmt="PNG"))],
            protected=["羽绒服", " "],
            article="# 长文\n正文",
        )
        assert response.status_code == 201
        post = response.json()
        assert (post["status"], post["protected"], len(post["images"])) == ("draft", ["羽绒服"], 2)
        assert client.get(post["images"][1]["url"], headers=org.editor).status_code == 200

    @pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
    def test_accepts_the_formats_phones_produce(
        self, client: TestClient, org: Org, fmt: str
    ) -> None:
        response = upload(client, org, images=[(f"photo.{fmt.lower()}", encoded(fmt))])
        assert response.status_code == 201, response.text
        served = client.get(response.json()["images"][0]["url"], headers=org.editor)
        assert served.headers["content-type"] in {"image/jpeg", "image/png"}

    def test_text_only_and_image_only_posts_are_fine(self, client: TestClient, org: Org) -> None:
        assert upload(client, org).status_code == 201
        assert upload(client, org, text="", images=[("a.jpg", jpeg_bytes())]).status_code == 201

    def test_list_and_get_return_the_post(self, client: TestClient, org: Org) -> None:
        post = upload(client, org).json()
        listed = client.get("/api/posts", headers=org.manager).json()
        assert [p["id"] for p in listed] == [post["id"]]
        assert client.get(f"/api/posts/{post['id']}", headers=org.manager).json()["text"] == TEXT

    def test_fold_risk_is_reported_for_long_text(self, client: TestClient, org: Org) -> None:
        long_text = "\n".join(["今天到店的朋友都有惊喜礼品，先到先得哦"] * 8)
        risk = upload(client, org, text=long_text).json()["fold_risk"]
        assert risk["at_risk"] is True
        assert risk["body"] and risk["first_comment"]

    def test_served_images_carry_no_exif_or_gps(self, client: TestClient, org: Org) -> None:
        post = upload(client, org, images=[("gps.jpg", jpeg_bytes(exif_gps=True))]).json()
        served = client.get(post["images"][0]["url"], headers=org.editor).content
        assert b"SecretCam" not in served
        assert not Image.open(io.BytesIO(served)).getexif()


class TestPublish:
    def test_publish_is_idempotent(self, client: TestClient, org: Org) -> None:
        post = upload(client, org).json()
        first = client.post(f"/api/posts/{post['id']}/publish", headers=org.editor).json()
        second = client.post(f"/api/posts/{post['id']}/publish", headers=org.editor).json()
        assert first["status"] == "published"
        assert first["published_at"] == second["published_at"]

    def test_publish_queues_pregeneration_after_commit(
        self, client: TestClient, org: Org, runtime: Runtime
    ) -> None:
        post = upload(client, org).json()
        client.post(f"/api/posts/{post['id']}/publish", headers=org.editor)
        sent = getattr(runtime.dispatcher, "sent", [])
        assert ("copies.fan_out", {"org_id": org.id, "post_id": post["id"]}) in sent


class TestBadInput:
    @pytest.mark.parametrize(
        ("kwargs", "status", "error"),
        [
            ({"text": "字" * 2001}, 422, "text_too_long"),
            ({"text": "  \n"}, 422, "empty_post"),
            ({"title": "  "}, 422, "title_missing"),
            ({"images": [("x.jpg", jpeg_bytes())] * 10}, 422, "too_many_images"),
            ({"images": [("notes.txt", "这不是图片".encode())]}, 422, "invalid_image"),
            ({"images": [("cut.jpg", jpeg_bytes()[:600])]}, 422, "invalid_image"),
            ({"images": [("bomb.png", png_bomb())]}, 422, "invalid_image"),
            ({"images": [("moving.gif", animated_gif())]}, 422, "invalid_image"),
            (
                {"images": [("huge.jpg", b"\xff\xd8" + b"\0" * (10 * 1024 * 1024))]},
                413,
                "file_too_large",
            ),
        ],
    )
    def test_is_refused_and_nothing_is_stored(
        self,
        client: TestClient,
        org: Org,
        runtime: Runtime,
        kwargs: dict[str, Any],
        status: int,
        error: str,
    ) -> None:
        before = stored_files(runtime)
        few = "images" in kwargs and len(kwargs["images"]) < 9
        good = [("ok.jpg", jpeg_bytes())] if few else []
        if good:
            kwargs = {**kwargs, "images": good + kwargs["images"]}
        response = upload(client, org, **kwargs)
        assert (response.status_code, response.json()["error"]) == (status, error)
        assert response.json()["detail"]
        assert client.get("/api/posts", headers=org.editor).json() == []
        assert stored_files(runtime) == before

    def test_over_40_megapixels_is_refused(self, client: TestClient, org: Org) -> None:
        buffer = io.BytesIO()
        Image.new("L", (8000, 5001)).save(buffer, "PNG")
        response = upload(client, org, images=[("big.png", buffer.getvalue())])
        assert response.status_code == 422
        assert "image 1" in response.json()["detail"]

    def test_error_names_the_bad_image(self, client: TestClient, org: Org) -> None:
        response = upload(client, org, images=[("ok.jpg", jpeg_bytes()), ("bad.jpg", b"nope")])
        assert "image 2 (bad.jpg)" in response.json()["detail"]

    def test_unknown_post_is_404(self, client: TestClient, org: Org) -> None:
        response = client.get("/api/posts/999999", headers=org.editor)
        assert (response.status_code, response.json()["error"]) == (404, "post_not_found")


class TestRequestSize:
    def test_oversized_request_is_refused_before_reading(
        self, client: TestClient, org: Org
    ) -> None:
        headers = {
            **org.editor,
            "content-length": str(200 * 1024 * 1024),
            "content-type": "multipart/form-data; boundary=x",
        }
        response = client.post("/api/posts", headers=headers, content=b"--x--")
        assert (response.status_code, response.json()["error"]) == (413, "payload_too_large")
