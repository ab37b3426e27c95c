"""Each rep's personal link shows their own copy: generated once, stored, never changed."""

from __future__ import annotations

import io
import threading
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from service.engines import issued_from_json
from service.models import Copy
from service.runtime import Runtime
from tests.service.conftest import Org, jpeg_bytes

TEXT = (
    "【周末特惠】新款运动鞋到店啦，原价¥499，本周六日只要¥299！"
    "会员再享9折，咨询电话 138-0013-8000，门店地址：朝阳区建国路88号。#周末特惠#"
)

# The batch rule judges bodies since issue 17: a one-line post without alternatives cannot
# keep every rep's body apart, so the test of "clears every earlier copy" uses alternatives.
TEXT_WITH_ALTERNATIVES = (
    "{【周末特惠】新款运动鞋到店啦！|【周末特惠】运动鞋新款到店啦！|【周末特惠】新款运动鞋已经到店！}"
    "{原价¥499，本周六日只要¥299！|本周六日只要¥299，原价¥499！|原价¥499，本周六、日两天只要¥299！}"
    "{会员再享9折，|会员还能再享9折，|会员另享9折，}咨询电话 138-0013-8000，"
    "{门店地址：朝阳区建国路88号。|门店在朝阳区建国路88号。|欢迎到店：朝阳区建国路88号。}#周末特惠#"
)


def published_post(client: TestClient, org: Org, *, images: int = 1, text: str = TEXT) -> int:
    files = [("images", (f"{i}.jpg", jpeg_bytes(seed=i), "image/jpeg")) for i in range(images)]
    post = client.post(
        "/api/posts",
        headers=org.editor,
        files=files or None,
        data={"title": "运动鞋", "text": text, "protected": ["运动鞋"]},
    ).json()
    client.post(f"/api/posts/{post['id']}/publish", headers=org.editor)
    return int(post["id"])


def rep_json(client: TestClient, path: str, post_id: int) -> Any:
    response = client.get(f"{path}/posts/{post_id}.json")
    assert response.status_code == 200, response.text
    return response.json()


class TestRepCopy:
    def test_three_reps_get_three_different_copies(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post_id = published_post(client, org)
        reps = add_reps(org, ["张三", "李四", "王五"])
        texts = {rep_json(client, path, post_id)["text"] for _, path in reps}
        assert len(texts) == 3
        assert all("¥299" in text and "138-0013-8000" in text for text in texts)

    def test_reopening_shows_the_same_copy(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post_id = published_post(client, org)
        [(_, path)] = add_reps(org, ["张三"])
        first = rep_json(client, path, post_id)
        again = rep_json(client, path, post_id)
        assert first == again
        image_url = first["images"][0]["url"]
        assert client.get(image_url).content == client.get(image_url).content

    def test_images_differ_between_reps_and_carry_no_metadata(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post_id = published_post(client, org, images=2)
        reps = add_reps(org, ["张三", "李四"])
        images = [
            client.get(rep_json(client, path, post_id)["images"][1]["url"]).content
            for _, path in reps
        ]
        assert images[0] != images[1]
        assert all(not Image.open(io.BytesIO(data)).getexif() for data in images)

    def test_rep_added_after_publishing_clears_every_earlier_copy(
        self, client: TestClient, org: Org, add_reps: Any, runtime: Runtime
    ) -> None:
        post_id = published_post(client, org, images=2, text=TEXT_WITH_ALTERNATIVES)
        early = [rep_json(client, path, post_id)["text"] for _, path in add_reps(org, ["甲", "乙"])]
        [(_, late_path)] = add_reps(org, ["丙"])
        assert rep_json(client, late_path, post_id)["text"] not in early
        with runtime.sessions() as session:
            copies = session.scalars(
                select(Copy).where(Copy.post_id == post_id).options(selectinload(Copy.images))
            ).all()
        assert all(copy.text_params["clears_batch"] for copy in copies)
        for position in (0, 1):
            hashes = [
                issued_from_json(
                    next(i.params for i in copy.images if i.position == position)
                ).hashes
                for copy in copies
            ]
            pdq = [a.distances(b)[2] for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
            assert min(pdq) > 31  # PDQ's duplicate threshold: no pair inside the team matches

    def test_unpublished_post_is_404_for_reps(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        draft = client.post(
            "/api/posts", headers=org.editor, data={"title": "草稿", "text": TEXT}
        ).json()
        [(_, path)] = add_reps(org, ["张三"])
        response = client.get(f"{path}/posts/{draft['id']}.json")
        assert (response.status_code, response.json()["error"]) == (404, "post_not_found")

    def test_zip_holds_every_image(self, client: TestClient, org: Org, add_reps: Any) -> None:
        post_id = published_post(client, org, images=2)
        [(_, path)] = add_reps(org, ["张三"])
        response = client.get(f"{path}/posts/{post_id}/images.zip")
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        assert len(archive.namelist()) == 2


class TestPosted:
    def test_posted_is_recorded_once(self, client: TestClient, org: Org, add_reps: Any) -> None:
        post_id = published_post(client, org, images=0)
        [(_, path)] = add_reps(org, ["张三"])
        first = client.post(f"{path}/posts/{post_id}/posted")
        second = client.post(f"{path}/posts/{post_id}/posted")
        assert first.status_code == 200
        assert first.json()["posted_at"] == second.json()["posted_at"]
        assert rep_json(client, path, post_id)["posted_at"] == first.json()["posted_at"]

    def test_plain_form_post_returns_to_the_page(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post_id = published_post(client, org, images=0)
        [(_, path)] = add_reps(org, ["张三"])
        response = client.post(
            f"{path}/posts/{post_id}/posted",
            follow_redirects=False,
            headers={"accept": "text/html"},
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"{path}#post-{post_id}"


class TestStaffViews:
    def test_staff_read_a_reps_copy(self, client: TestClient, org: Org, add_reps: Any) -> None:
        post_id = published_post(client, org)
        [(rep_id, path)] = add_reps(org, ["张三"])
        staff_view = client.get(f"/api/posts/{post_id}/copies/{rep_id}", headers=org.manager)
        assert staff_view.json()["text"] == rep_json(client, path, post_id)["text"]
        image = client.get(staff_view.json()["images"][0]["url"], headers=org.manager)
        assert image.headers["content-type"] == "image/jpeg"

    def test_preview_shows_master_and_first_reps(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post = client.post(
            "/api/posts", headers=org.editor, data={"title": "t", "text": TEXT}
        ).json()
        add_reps(org, ["甲", "乙", "丙", "丁"])
        preview = client.get(f"/api/posts/{post['id']}/preview?reps=3", headers=org.editor).json()
        assert preview["master"]["text"] == TEXT
        assert preview["rep_names"] == ["甲", "乙", "丙"]
        assert len({copy["text"] for copy in preview["copies"]}) == 3


class TestConcurrentFirstOpen:
    def test_simultaneous_first_opens_store_one_copy(
        self, client: TestClient, org: Org, add_reps: Any, runtime: Runtime
    ) -> None:
        post_id = published_post(client, org)
        reps = add_reps(org, ["甲", "乙", "丙"])
        results: list[str] = []

        def open_link(path: str) -> None:
            results.append(rep_json(client, path, post_id)["text"])

        threads = [
            threading.Thread(target=open_link, args=(path,)) for _, path in reps for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(results)) == 3
        with runtime.sessions() as session:
            count = session.scalar(
                select(func.count()).select_from(Copy).where(Copy.post_id == post_id)
            )
        assert count == 3
