"""Admins manage reps: create, import from CSV, update, deactivate, rotate links."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import Org


def csv_file(text: str, *, encoding: str = "utf-8") -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("reps.csv", text.encode(encoding), "text/csv")}


class TestCreateRep:
    def test_created_rep_has_a_personal_url(self, client: TestClient, org: Org) -> None:
        response = client.post(
            "/api/reps",
            headers=org.admin,
            json={"name": "张三", "team": "朝阳店", "phone": "13800000000"},
        )
        assert response.status_code == 201
        rep = response.json()
        assert rep["url"].startswith("http://testserver/r/")
        assert (
            client.get(
                rep["url"].removeprefix("http://testserver"), headers={"accept": "text/html"}
            ).status_code
            == 200
        )

    @pytest.mark.parametrize(
        "body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": "张三", "unknown": 1}]
    )
    def test_bad_fields_are_422(self, client: TestClient, org: Org, body: dict) -> None:
        response = client.post("/api/reps", headers=org.admin, json=body)
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_request"

    def test_duplicate_external_id_is_409(self, client: TestClient, org: Org) -> None:
        client.post("/api/reps", headers=org.admin, json={"name": "甲", "external_id": "E1"})
        again = client.post(
            "/api/reps", headers=org.admin, json={"name": "乙", "external_id": "E1"}
        )
        assert again.status_code == 409


class TestImportCsv:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
    def test_imports_every_row(self, client: TestClient, org: Org, encoding: str) -> None:
        text = "name,team,phone,external_id\n张三,朝阳店,13800000001,A1\n李四,海淀店,,A2\n"
        response = client.post(
            "/api/reps/import", headers=org.admin, files=csv_file(text, encoding=encoding)
        )
        assert response.status_code == 200
        assert response.json()["created"] == 2
        names = [rep["name"] for rep in client.get("/api/reps", headers=org.admin).json()]
        assert names == ["张三", "李四"]

    def test_chinese_headers_are_understood(self, client: TestClient, org: Org) -> None:
        response = client.post(
            "/api/reps/import",
            headers=org.admin,
            files=csv_file("姓名,门店,手机,工号\n王五,西单店,139,W5\n"),
        )
        assert response.json()["reps"][0]["team"] == "西单店"

    def test_known_external_id_updates_instead_of_duplicating(
        self, client: TestClient, org: Org
    ) -> None:
        client.post(
            "/api/reps/import",
            headers=org.admin,
            files=csv_file("name,team,external_id\n张三,一组,Z1\n"),
        )
        second = client.post(
            "/api/reps/import",
            headers=org.admin,
            files=csv_file("name,team,external_id\n张三,二组,Z1\n赵六,二组,\n"),
        )
        assert (second.json()["created"], second.json()["updated"]) == (1, 1)
        listed = client.get("/api/reps", headers=org.admin).json()
        teams = {rep["name"]: rep["team"] for rep in listed}
        assert teams == {"张三": "二组", "赵六": "二组"}

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "empty"),
            ("team,phone\n一组,138\n", "'name' column"),
            ("name,team\n", "no reps"),
            ("name,team\n张三,一组\n,二组\n", "line 3"),
            ("name,team\n" + "x" * 101 + ",一组\n", "line 2"),
        ],
    )
    def test_bad_file_is_422_and_stores_nothing(
        self, client: TestClient, org: Org, text: str, message: str
    ) -> None:
        response = client.post("/api/reps/import", headers=org.admin, files=csv_file(text))
        assert response.status_code == 422
        assert message in response.json()["detail"]
        assert client.get("/api/reps", headers=org.admin).json() == []

    def test_binary_file_is_422(self, client: TestClient, org: Org) -> None:
        files = {"file": ("reps.csv", bytes(range(256)) * 4, "text/csv")}
        assert client.post("/api/reps/import", headers=org.admin, files=files).status_code == 422


class TestUpdateRep:
    def test_patch_changes_only_given_fields(self, client: TestClient, org: Org) -> None:
        rep = client.post(
            "/api/reps", headers=org.admin, json={"name": "张三", "team": "一组"}
        ).json()
        patched = client.patch(f"/api/reps/{rep['id']}", headers=org.admin, json={"team": "二组"})
        assert (patched.json()["name"], patched.json()["team"]) == ("张三", "二组")

    def test_deactivated_rep_link_stops_working(self, client: TestClient, org: Org) -> None:
        rep = client.post("/api/reps", headers=org.admin, json={"name": "张三"}).json()
        client.patch(f"/api/reps/{rep['id']}", headers=org.admin, json={"active": False})
        response = client.get(rep["url"].removeprefix("http://testserver"))
        assert response.status_code == 403
        assert response.json()["error"] == "rep_deactivated"

    def test_rotating_revokes_the_old_link(self, client: TestClient, org: Org) -> None:
        rep = client.post("/api/reps", headers=org.admin, json={"name": "张三"}).json()
        rotated = client.post(f"/api/reps/{rep['id']}/rotate-link", headers=org.admin).json()
        assert rotated["url"] != rep["url"]
        old = client.get(rep["url"].removeprefix("http://testserver"))
        assert (old.status_code, old.json()["error"]) == (410, "rep_link_revoked")
        new = client.get(
            rotated["url"].removeprefix("http://testserver"), headers={"accept": "text/html"}
        )
        assert new.status_code == 200

    def test_unknown_rep_is_404(self, client: TestClient, org: Org) -> None:
        assert client.patch("/api/reps/999999", headers=org.admin, json={}).status_code == 404
