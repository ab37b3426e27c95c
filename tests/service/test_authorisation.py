"""Staff of one organisation reach nothing of another; a rep link reaches only its rep."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import Org
from tests.service.test_copies import TEXT, published_post


@pytest.fixture
def two_orgs(make_org: Any, add_reps: Any, client: TestClient) -> dict[str, Any]:
    a, b = make_org(), make_org()
    b_post = published_post(client, b)
    [(b_rep, b_path)] = add_reps(b, ["乙方销售"])
    [(a_rep, a_path)] = add_reps(a, ["甲方销售"])
    return {
        "a": a,
        "b": b,
        "b_post": b_post,
        "b_rep": b_rep,
        "b_path": b_path,
        "a_rep": a_rep,
        "a_path": a_path,
        "a_post": published_post(client, a),
    }


class TestOrgIsolation:
    @pytest.mark.parametrize(
        ("method", "template"),
        [
            ("GET", "/api/posts/{b_post}"),
            ("POST", "/api/posts/{b_post}/publish"),
            ("GET", "/api/posts/{b_post}/images/0"),
            ("GET", "/api/posts/{b_post}/preview"),
            ("GET", "/api/posts/{b_post}/copies/{b_rep}"),
            ("GET", "/api/posts/{a_post}/copies/{b_rep}"),
            ("GET", "/api/posts/{b_post}/copies/{a_rep}"),
            ("GET", "/api/posts/{b_post}/copies/{b_rep}/images/0"),
            ("GET", "/api/reps/{b_rep}"),
            ("PATCH", "/api/reps/{b_rep}"),
            ("POST", "/api/reps/{b_rep}/rotate-link"),
        ],
    )
    def test_other_orgs_ids_are_404(
        self, client: TestClient, two_orgs: dict[str, Any], method: str, template: str
    ) -> None:
        a: Org = two_orgs["a"]
        response = client.request(
            method,
            template.format(**two_orgs),
            headers=a.admin,
            json={} if method == "PATCH" else None,
        )
        assert response.status_code == 404
        assert "乙方" not in response.text and TEXT not in response.text

    def test_lists_show_only_own_org(self, client: TestClient, two_orgs: dict[str, Any]) -> None:
        a: Org = two_orgs["a"]
        assert [p["id"] for p in client.get("/api/posts", headers=a.admin).json()] == [
            two_orgs["a_post"]
        ]
        assert [r["name"] for r in client.get("/api/reps", headers=a.admin).json()] == ["甲方销售"]


class TestRepLinkScope:
    def test_rep_link_cannot_read_another_orgs_post(
        self, client: TestClient, two_orgs: dict[str, Any]
    ) -> None:
        response = client.get(f"{two_orgs['a_path']}/posts/{two_orgs['b_post']}.json")
        assert response.status_code == 404

    def test_rep_link_page_shows_only_its_own_copies(
        self, client: TestClient, two_orgs: dict[str, Any]
    ) -> None:
        page = client.get(two_orgs["a_path"], headers={"accept": "text/html"}).text
        assert "甲方销售" in page and "乙方销售" not in page
        own = client.get(f"{two_orgs['a_path']}/posts/{two_orgs['a_post']}.json").json()
        assert own["rep_id"] == two_orgs["a_rep"]

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda path: path + "x",
            lambda path: path[:-3],
            lambda path: "/r/WzEsMSwiYWJjIl0.forged-signature",
        ],
    )
    def test_forged_or_damaged_tokens_are_404(
        self, client: TestClient, two_orgs: dict[str, Any], tamper: Any
    ) -> None:
        response = client.get(f"{tamper(two_orgs['a_path'])}/posts/{two_orgs['a_post']}.json")
        assert (response.status_code, response.json()["error"]) == (404, "rep_link_unknown")

    def test_rotated_token_is_refused_everywhere(
        self, client: TestClient, two_orgs: dict[str, Any]
    ) -> None:
        a, old = two_orgs["a"], two_orgs["a_path"]
        client.post(f"/api/reps/{two_orgs['a_rep']}/rotate-link", headers=a.admin)
        post = two_orgs["a_post"]
        for method, url in [
            ("GET", old),
            ("GET", f"{old}/posts/{post}.json"),
            ("POST", f"{old}/posts/{post}/posted"),
            ("GET", f"{old}/posts/{post}/images/0"),
        ]:
            assert client.request(method, url).status_code == 410
