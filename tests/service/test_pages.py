"""Staff pages (cookie login with CSRF-protected forms) and the rep's HTML page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.deps import SESSION_COOKIE
from tests.service.conftest import Org, form_login, jpeg_bytes
from tests.service.test_copies import TEXT, published_post

HTML = {"accept": "text/html"}


@pytest.fixture
def browser(client: TestClient, org: Org) -> Any:
    """A cookie-holding client logged in as the org's admin; yields (client, csrf token)."""
    fresh = TestClient(client.app, base_url="http://testserver")
    response = form_login(fresh, org.admin_email)
    assert response.status_code == 303
    page = fresh.get("/admin/posts/new", headers=HTML).text
    return fresh, found(r'name="csrf" value="([0-9a-f]+)"', page)


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


class TestLogin:
    @pytest.mark.parametrize("path", ["/admin/reps", "/admin/posts/1", "/admin"])
    def test_pages_redirect_to_login_without_a_session(self, client: TestClient, path: str) -> None:
        response = TestClient(client.app).get(path, headers=HTML, follow_redirects=False)
        assert response.headers["location"] == f"/admin/login?next={path}"

    def test_other_orgs_post_page_is_404(self, browser: Any, make_org: Any) -> None:
        other = make_org()
        post = (
            TestClient(browser[0].app)
            .post("/api/posts", headers=other.editor, data={"title": "t", "text": "别家的文案"})
            .json()
        )
        response = browser[0].get(f"/admin/posts/{post['id']}", headers=HTML)
        assert response.status_code == 404 and "别家的文案" not in response.text

    def test_wrong_password_shows_the_form_again(self, client: TestClient, org: Org) -> None:
        response = form_login(TestClient(client.app), org.admin_email, "nope")
        assert response.status_code == 401 and "邮箱或密码不正确" in response.text

    def test_cookie_is_httponly_and_samesite_lax(self, client: TestClient, org: Org) -> None:
        response = form_login(TestClient(client.app), org.admin_email)
        cookie = next(
            value
            for value in response.headers.get_list("set-cookie")
            if value.startswith(f"{SESSION_COOKIE}=")
        )
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()

    def test_login_never_redirects_off_site(self, client: TestClient, org: Org) -> None:
        response = form_login(TestClient(client.app), org.admin_email, next="//evil.example")
        assert response.headers["location"] == "/admin"


class TestUploadAndPublish:
    def test_form_upload_preview_and_publish(self, browser: Any, add_reps: Any, org: Org) -> None:
        client, csrf = browser
        add_reps(org, ["张三", "李四", "王五"])
        response = client.post(
            "/admin/posts",
            headers=HTML,
            follow_redirects=False,
            data={"csrf": csrf, "title": "运动鞋", "text": TEXT, "protected": "运动鞋"},
            files=[("images", ("a.jpg", jpeg_bytes(), "image/jpeg"))],
        )
        assert response.status_code == 303
        preview = client.get(response.headers["location"], headers=HTML).text
        assert "原文" in preview and "张三 的版本" in preview and "发布并安排时间" in preview
        post_id = response.headers["location"].rsplit("/", 1)[1]
        published = client.post(
            f"/admin/posts/{post_id}/publish", data={"csrf": csrf}, headers=HTML
        )
        assert "已发布" in published.text

    def test_long_text_shows_the_fold_warning(self, browser: Any) -> None:
        client, csrf = browser
        text = "\n".join(["今天到店的朋友都有惊喜礼品，先到先得哦"] * 8)
        response = client.post(
            "/admin/posts", headers=HTML, data={"csrf": csrf, "title": "长文", "text": text}
        )
        assert "折叠风险" in response.text

    def test_bad_upload_shows_the_form_with_the_error(self, browser: Any) -> None:
        client, csrf = browser
        response = client.post(
            "/admin/posts",
            headers=HTML,
            data={"csrf": csrf, "title": "坏图", "text": "文案"},
            files=[("images", ("x.jpg", b"not an image", "image/jpeg"))],
        )
        assert response.status_code == 422
        # The editor reads the reason in Chinese (it was the English detail before issue 15).
        assert "第 1 张图片（x.jpg）" in response.text and 'value="坏图"' in response.text

    def test_form_without_csrf_token_is_refused(self, browser: Any) -> None:
        client, _ = browser
        response = client.post("/admin/posts", data={"title": "t", "text": "文案"})
        assert response.status_code == 403


class TestRepsAdmin:
    def test_add_import_deactivate_rotate(self, browser: Any) -> None:
        client, csrf = browser
        client.post("/admin/reps", data={"csrf": csrf, "name": "张三", "team": "一组"})
        page = client.post(
            "/admin/reps/import",
            data={"csrf": csrf},
            headers=HTML,
            files={"file": ("r.csv", "name,team\n李四,二组\n".encode(), "text/csv")},
        )
        assert "已导入 1 位销售" in page.text
        rep_id = found(r"/admin/reps/(\d+)/deactivate", page.text)
        old_link = found(r'value="(http://testserver/r/[^"]+)"', page.text)
        client.post(f"/admin/reps/{rep_id}/rotate-link", data={"csrf": csrf})
        page = client.post(f"/admin/reps/{rep_id}/deactivate", data={"csrf": csrf}, headers=HTML)
        assert "启用" in page.text and old_link not in page.text


class TestRepPage:
    def test_reads_without_javascript(self, client: TestClient, org: Org, add_reps: Any) -> None:
        published_post(client, org)
        [(_, path)] = add_reps(org, ["张三"])
        page = client.get(path, headers=HTML).text
        assert "张三 的朋友圈素材" in page and "复制文案" in page and "我已发布" in page
        assert 'lang="zh-CN"' in page and '<script src="/static/app.js"' in page
        assert "¥299" in page and re.search(r'<img src="/r/[^"]+/images/0"', page)

    def test_personal_link_is_not_leaked_onwards(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        [(_, path)] = add_reps(org, ["张三"])
        response = client.get(path, headers=HTML)
        assert response.headers["referrer-policy"] == "no-referrer"
        assert 'name="robots" content="noindex' in response.text

    def test_bad_link_shows_a_chinese_message(self, client: TestClient) -> None:
        response = client.get("/r/not-a-token", headers=HTML)
        assert response.status_code == 404 and "链接无效" in response.text

    def test_no_external_resources(self, client: TestClient, org: Org, add_reps: Any) -> None:
        published_post(client, org, images=0)
        [(_, path)] = add_reps(org, ["张三"])
        page = client.get(path, headers=HTML).text
        assert not re.search(r'(src|href)="(https?:)?//', page)


class TestRefusedFormsWriteNothing:
    """A refused form is raised, so the request's unit of work rolls back what it changed,
    and the form's page comes back with the reason."""

    def test_a_stale_alternatives_form_keeps_the_saved_voice(self, browser: Any, org: Org) -> None:
        client, csrf = browser
        post = client.post(
            "/api/posts", headers=org.editor, data={"title": "t", "text": TEXT}
        ).json()
        response = client.post(
            f"/admin/posts/{post['id']}/alternatives",
            headers=HTML,
            data={"csrf": csrf, "sentences": "", "base_version": "99", "frame_lines": "off"},
        )
        assert response.status_code == 409 and 'class="error" role="alert"' in response.text
        saved = client.get(f"/api/posts/{post['id']}", headers=org.editor).json()
        assert saved["voice"] is None or saved["voice"]["frame_lines"] is None

    def test_a_refused_rep_shows_the_list_again(self, browser: Any) -> None:
        client, csrf = browser
        client.post("/admin/reps", data={"csrf": csrf, "name": "张三"})
        response = client.post("/admin/reps", headers=HTML, data={"csrf": csrf, "name": "长" * 500})
        assert response.status_code == 422 and "张三" in response.text
