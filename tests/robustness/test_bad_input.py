"""Hostile uploads and payloads against the real API: every one gets a clear 4xx JSON error
naming the problem, or a correct result; never a 500, and nothing half-stored.

Large inputs (the 50 MB file, the oversized CSV) are generated here, never committed. The
table in SECURITY.md ("Bad input") lists the same cases: `python -m tests.robustness.corpus`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from service.runtime import Runtime
from service.tracking.events import Journal
from tests.robustness.conftest import census
from tests.robustness.corpus import BEACONS, CSVS, PUBLISH_BODIES, UPLOADS, Case, jpeg
from tests.service.conftest import Org

PHONE = {"user-agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.49", "content-type": "text/plain"}


def assert_outcome(response: Any, case: Case) -> dict[str, Any]:
    """The status the case expects, and for errors the JSON shape `{"error", "detail"}`."""
    assert response.status_code != 500, response.text
    assert response.status_code == case.status, response.text
    if case.status == 204:
        return {}
    body: dict[str, Any] = response.json()
    if case.status >= 400:
        assert body["error"] == case.error and body["detail"], body
    return body


def draft_post(client: TestClient, org: Org) -> int:
    response = client.post("/api/posts", headers=org.editor, data={"title": "草稿", "text": "你好"})
    assert response.status_code == 201, response.text
    post_id: int = response.json()["id"]
    return post_id


class TestPostUploads:
    @pytest.mark.parametrize("case", UPLOADS, ids=lambda case: case.name)
    def test_upload_is_refused_clearly_or_stored_whole(
        self, client: TestClient, runtime: Runtime, org: Org, case: Case
    ) -> None:
        before = census(runtime, org.id)
        request = case.build()
        headers = org.editor | request.pop("headers", {})
        response = client.post("/api/posts", headers=headers, **request)
        body = assert_outcome(response, case)
        after = census(runtime, org.id)
        if case.status >= 400:
            assert after == before
            return
        images = len(body["images"])
        assert (after.posts, after.images, after.files) == (
            before.posts + 1,
            before.images + images,
            before.files + images,
        )
        if case.check:
            first = body["images"][0]["url"] if images else None
            case.check(body, client.get(first, headers=org.editor).content if first else b"")

    def test_a_bad_image_among_good_ones_stores_none_of_them(
        self, client: TestClient, runtime: Runtime, org: Org
    ) -> None:
        before = census(runtime, org.id)
        files = [("images", (f"{i}.jpg", jpeg(seed=i), "image/jpeg")) for i in range(3)]
        files.append(("images", ("bad.jpg", jpeg()[:500], "image/jpeg")))
        response = client.post("/api/posts", headers=org.editor, data={"title": "t"}, files=files)
        assert (response.status_code, response.json()["error"]) == (422, "invalid_image")
        assert "image 4" in response.json()["detail"]
        assert census(runtime, org.id) == before

    def test_a_long_narrow_image_is_kept_and_previews_for_reps(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        add_reps(org, ["张三"])
        strip = Image.linear_gradient("L").resize((16, 3000))
        files = [("images", ("strip.png", _png(strip), "image/png"))]
        created = client.post("/api/posts", headers=org.editor, data={"title": "t"}, files=files)
        assert created.status_code == 201, created.text
        preview = client.get(f"/api/posts/{created.json()['id']}/preview", headers=org.editor)
        assert preview.status_code == 200, preview.text


class TestTextFields:
    def test_template_syntax_is_stored_as_written_and_never_evaluated(
        self, client: TestClient, org: Org
    ) -> None:
        text = "{{7*7}} ${7*7} {% raw %} <%= 7*7 %> #{7*7}"
        post = client.post(
            "/api/posts", headers=org.editor, data={"title": "{{7*7}}", "text": text}
        )
        assert post.status_code == 201
        assert (post.json()["title"], post.json()["text"]) == ("{{7*7}}", text)
        page = client.get(f"/admin/posts/{post.json()['id']}", headers=org.editor).text
        assert "{{7*7}}" in page and "${7*7}" in page


class TestRepsCsvImport:
    @pytest.mark.parametrize("case", CSVS, ids=lambda case: case.name)
    def test_csv_is_refused_clearly_or_imported_exactly(
        self, client: TestClient, runtime: Runtime, org: Org, case: Case
    ) -> None:
        before = census(runtime, org.id)
        response = client.post("/api/reps/import", headers=org.admin, **case.build())
        body = assert_outcome(response, case)
        after = census(runtime, org.id)
        if case.status >= 400:
            assert after == before
            return
        assert after.reps == before.reps + body["created"]
        if case.check:
            case.check(body, b"")

    def test_importing_the_same_file_twice_updates_instead_of_duplicating(
        self, client: TestClient, runtime: Runtime, org: Org
    ) -> None:
        data = "工号,姓名,门店\nA01,张三,朝阳店\nA02,李四,海淀店\n".encode("gbk")
        files = {"file": ("reps.csv", data, "text/csv")}
        first = client.post("/api/reps/import", headers=org.admin, files=files).json()
        second = client.post("/api/reps/import", headers=org.admin, files=files).json()
        assert (first["created"], second["created"], second["updated"]) == (2, 0, 2)
        assert census(runtime, org.id).reps == 2


class TestPublishBody:
    @pytest.mark.parametrize("case", PUBLISH_BODIES, ids=lambda case: case.name)
    def test_publish_body_is_refused_clearly_or_applied(
        self, client: TestClient, runtime: Runtime, org: Org, add_reps: Any, case: Case
    ) -> None:
        add_reps(org, ["张三"])
        post_id = draft_post(client, org)
        before = census(runtime, org.id)
        response = client.post(
            f"/api/posts/{post_id}/publish",
            headers=org.editor | {"content-type": "application/json"},
            content=case.build()["content"],
        )
        body = assert_outcome(response, case)
        after = census(runtime, org.id)
        if case.status >= 400:
            assert after == before
            assert client.get(f"/api/posts/{post_id}", headers=org.editor).json()["status"] == (
                "draft"
            )
            return
        assert body["status"] == "published" and after.plans == before.plans + 1


class TestBeacons:
    @pytest.mark.parametrize("case", BEACONS, ids=lambda case: case.name)
    def test_beacon_is_refused_clearly_or_queued(
        self, client: TestClient, journal: Journal, share: Any, viewer: Any, case: Case
    ) -> None:
        token, _ = viewer().open(share().path)
        queued = journal.backlog()
        body = case.build()["content"]
        if isinstance(body, dict):  # a well-formed envelope around one hostile field
            body = json.dumps({"t": token, "s": 1, "v": 0} | body).encode()
        response = client.post("/t", content=body, headers=PHONE)
        assert_outcome(response, case)
        assert journal.backlog() == queued + (1 if case.status == 204 else 0)


def _png(image: Image.Image) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
