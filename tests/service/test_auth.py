"""Staff log in with e-mail and password and call the API with a bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.runtime import Runtime
from service.settings import Settings
from tests.service.conftest import PASSWORD, Org


class TestTokenIssue:
    def test_json_credentials_give_a_working_token(self, client: TestClient, org: Org) -> None:
        response = client.post(
            "/api/auth/token", json={"email": org.admin_email, "password": PASSWORD}
        )
        assert response.status_code == 200
        token = response.json()["access_token"]
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == org.admin_email
        assert me.json()["org_slug"] == org.slug

    def test_form_credentials_work_too(self, client: TestClient, org: Org) -> None:
        response = client.post(
            "/api/auth/token", data={"username": org.admin_email.upper(), "password": PASSWORD}
        )
        assert response.status_code == 200
        assert response.json()["token_type"] == "bearer"

    @pytest.mark.parametrize("password", ["wrong password", ""])
    def test_wrong_password_is_refused(self, client: TestClient, org: Org, password: str) -> None:
        response = client.post(
            "/api/auth/token", json={"email": org.admin_email, "password": password}
        )
        assert response.status_code in {401, 422}
        # Issue 15 added the Chinese `message` every API error now carries.
        assert set(response.json()) == {"error", "detail", "message"}

    def test_unknown_email_is_refused_like_a_wrong_password(self, client: TestClient) -> None:
        response = client.post(
            "/api/auth/token", json={"email": "nobody@example.com", "password": PASSWORD}
        )
        assert response.status_code == 401
        assert response.json()["error"] == "bad_credentials"

    def test_malformed_body_is_422(self, client: TestClient) -> None:
        response = client.post(
            "/api/auth/token", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422


class TestBearerToken:
    @pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer ", "Basic abc"])
    def test_missing_or_forged_token_is_401(self, client: TestClient, header: str | None) -> None:
        headers = {"Authorization": header} if header else {}
        response = client.get("/api/posts", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"


class TestRoles:
    def test_manager_cannot_create_posts(self, client: TestClient, org: Org) -> None:
        response = client.post(
            "/api/posts", data={"title": "t", "text": "文案"}, headers=org.manager
        )
        assert response.status_code == 403

    def test_editor_cannot_manage_reps(self, client: TestClient, org: Org) -> None:
        created = client.post("/api/reps", json={"name": "张三"}, headers=org.editor)
        assert created.status_code == 403
        assert client.get("/api/reps", headers=org.editor).status_code == 403

    def test_admin_adds_staff_who_can_log_in(self, client: TestClient, org: Org) -> None:
        email = f"new-editor@{org.slug}.test"
        created = client.post(
            "/api/staff",
            headers=org.admin,
            json={"email": email, "password": PASSWORD, "role": "editor"},
        )
        assert created.status_code == 201
        login = client.post("/api/auth/token", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200

    def test_duplicate_staff_email_is_409(self, client: TestClient, org: Org) -> None:
        response = client.post(
            "/api/staff", headers=org.admin, json={"email": org.admin_email, "password": PASSWORD}
        )
        assert response.status_code == 409


class TestHealth:
    def test_healthz_answers_when_the_database_does(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}

    def test_healthz_is_503_when_the_database_is_gone(self, tmp_path: Any) -> None:
        runtime = Runtime.build(
            Settings(
                env="test",
                data_dir=tmp_path,
                secret_key="k",
                database_url="postgresql+psycopg://nobody@127.0.0.1:1/x",
            )
        )
        response = TestClient(create_app(runtime=runtime)).get("/healthz")
        assert (response.status_code, response.json()["error"]) == (503, "unavailable")

    def test_openapi_documents_the_api(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        assert {
            "/api/auth/token",
            "/api/posts",
            "/api/reps/import",
            "/api/posts/{post_id}/copies/{rep_id}",
        } <= set(paths)
