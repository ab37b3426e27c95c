"""Web security: headers on every page, cookie flags, CSRF on cookie-authenticated forms,
argon2 password hashes, no production start with the development key, and hostile text in a
post, a rep name and a viewer nickname shown as text in a real browser, never run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from service import security
from service.app import create_app
from service.db import unit_of_work
from service.models import Rep, Role, Staff
from service.models.tracking import Viewer
from service.orgs import service as orgs_service
from service.runtime import Runtime
from service.settings import DEV_SECRET_KEY, Settings
from tests.robustness.conftest import census
from tests.service.conftest import PASSWORD, Org

PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) Mobile/15E148 MicroMessenger/8.0.49"
SCRIPT = "<script>window.__xss=(window.__xss||0)+1</script>"
IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'


def login_cookie(client: TestClient, email: str) -> Any:
    response = client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response


class TestSecurityHeaders:
    @pytest.fixture
    def pages(self, client: TestClient, share: Any, viewer: Any) -> dict[str, Any]:
        shared = share()
        landing = viewer().http.get(shared.path)  # follows the redirect to the viewer's link
        return {
            "login form": client.get("/admin/login"),
            "rep page": client.get(shared.rep_path, headers={"accept": "text/html"}),
            "landing page": landing,
            "post list": client.get("/admin", headers=shared.org.manager),
            "error page": client.get("/r/forged", headers={"accept": "text/html"}),
            "JSON error": client.get("/api/posts"),
        }

    def test_every_page_forbids_framing_sniffing_referrers_and_foreign_scripts(
        self, pages: dict[str, Any]
    ) -> None:
        for name, response in pages.items():
            headers = response.headers
            policy = headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in policy, name
            assert (
                "script-src 'self'" in policy
                and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
            ), name
            assert "object-src 'none'" in policy and "base-uri 'none'" in policy, name
            assert headers["x-content-type-options"] == "nosniff", name
            assert headers["x-frame-options"] == "DENY", name
            assert headers["referrer-policy"] == "no-referrer", name

    def test_pages_have_no_inline_scripts_for_the_policy_to_break(
        self, pages: dict[str, Any]
    ) -> None:
        for name, response in pages.items():
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), name
            assert not re.search(r"\son[a-z]+=", response.text), name


@pytest.fixture(scope="module")
def https_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    runtime = Runtime.build(
        Settings(
            env="test",
            data_dir=tmp_path_factory.mktemp("https"),
            secret_key="https-test-key",
            base_url="https://mc.example.com",
        )
    )
    runtime.migrate()
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="https")
        orgs_service.create_staff(
            session, org_id=org.id, email="admin@https.test", password=PASSWORD, role=Role.ADMIN
        )
    with TestClient(create_app(runtime=runtime), base_url="https://mc.example.com") as client:
        yield client, "admin@https.test"
    runtime.engine.dispose()


class TestCookies:
    def test_login_cookie_is_httponly_samesite_and_secure_over_https(
        self, https_client: tuple[TestClient, str]
    ) -> None:
        client, email = https_client
        cookie = login_cookie(client, email).headers["set-cookie"].lower()
        assert cookie.startswith("mc_session=")
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie

    def test_https_responses_ask_for_https_only(self, https_client: tuple[TestClient, str]) -> None:
        client, _ = https_client
        assert (
            client.get("/admin/login").headers["strict-transport-security"].startswith("max-age=")
        )

    def test_over_plain_http_the_cookie_is_still_httponly_and_samesite(
        self, client: TestClient, org: Org
    ) -> None:
        cookie = login_cookie(client, org.admin_email).headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    def test_viewer_cookie_is_httponly_and_samesite(self, share: Any, viewer: Any) -> None:
        phone = viewer()
        response = phone.http.get(share().path, follow_redirects=False)
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith("mc_viewer=") and "httponly" in cookie and "samesite=lax" in cookie


class TestCsrf:
    @pytest.fixture
    def browser_session(self, app: Any, org: Org) -> TestClient:
        """A staff member's browser: the login cookie, no bearer header."""
        browser = TestClient(app, raise_server_exceptions=False)
        login_cookie(browser, org.admin_email)
        return browser

    @pytest.mark.parametrize(
        "presented",
        [None, "", "0" * 32, "token-of-another-session"],
        ids=["missing", "empty", "zeros", "another session's"],
    )
    def test_a_form_without_this_sessions_token_is_refused_and_changes_nothing(
        self,
        browser_session: TestClient,
        runtime: Runtime,
        org: Org,
        presented: str | None,
    ) -> None:
        if presented == "token-of-another-session":
            presented = runtime.signer.csrf_token("some-other-login-cookie")
        before = census(runtime, org.id)
        form = {"name": "伪造"} | ({} if presented is None else {"csrf": presented})
        response = browser_session.post("/admin/reps", data=form, follow_redirects=False)
        assert (response.status_code, response.json()["error"]) == (403, "csrf_failed")
        assert census(runtime, org.id) == before

    def test_the_form_with_this_sessions_token_works(
        self, browser_session: TestClient, runtime: Runtime, org: Org
    ) -> None:
        token = runtime.signer.csrf_token(browser_session.cookies["mc_session"])
        page = browser_session.get("/admin/reps").text
        assert f'value="{token}"' in page  # the token the page's forms carry
        response = browser_session.post(
            "/admin/reps", data={"name": "新人", "csrf": token}, follow_redirects=False
        )
        assert response.status_code == 303
        assert census(runtime, org.id).reps == 1

    def test_the_api_ignores_the_login_cookie_for_changes(
        self, browser_session: TestClient, runtime: Runtime, org: Org
    ) -> None:
        response = browser_session.post("/api/reps", json={"name": "伪造"})
        assert response.status_code == 401
        assert census(runtime, org.id).reps == 0

    def test_logout_needs_the_token_too(self, browser_session: TestClient) -> None:
        response = browser_session.post("/admin/logout", follow_redirects=False)
        assert response.status_code == 403


class TestSecrets:
    def test_passwords_are_stored_as_argon2id_hashes(self, runtime: Runtime, org: Org) -> None:
        with unit_of_work(runtime.sessions) as session:
            hashes = session.scalars(select(Staff.password_hash).where(Staff.org_id == org.id))
            stored = list(hashes)
        assert stored and all(value.startswith("$argon2id$") for value in stored)
        assert all(PASSWORD not in value for value in stored)
        assert security.verify_password(stored[0], PASSWORD)
        assert not security.verify_password(stored[0], PASSWORD + " ")

    def test_production_refuses_the_development_secret_key(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="MOMENTCAST_SECRET_KEY"):
            Settings(env="production", data_dir=tmp_path, secret_key=DEV_SECRET_KEY)
        assert Settings(env="production", data_dir=tmp_path, secret_key="x" * 40).env == (
            "production"
        )


class TestEscapedOutput:
    """Server side: the markup arrives as text (the browser check below runs it for real)."""

    def test_hostile_post_and_rep_name_arrive_escaped(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        ((_, rep_path),) = add_reps(org, [IMG])
        post = client.post(
            "/api/posts", headers=org.editor, data={"title": SCRIPT, "text": SCRIPT + IMG}
        ).json()
        client.post(f"/api/posts/{post['id']}/publish", headers=org.editor)
        pages = [
            client.get(f"/admin/posts/{post['id']}", headers=org.editor).text,
            client.get("/admin/reps", headers=org.admin).text,
            client.get(rep_path, headers={"accept": "text/html"}).text,
        ]
        for page in pages:
            assert "window.__xss" in page
            assert "<script>window" not in page and "<img src=x" not in page


def _set_label(runtime: Runtime, rep_id: int, label: str) -> None:
    with unit_of_work(runtime.sessions) as session:
        rep = session.get(Rep, rep_id)
        assert rep is not None
        for found in session.scalars(select(Viewer).where(Viewer.org_id == rep.org_id)):
            found.label = label


class TestBrowser:
    """Chromium loads every page a hostile string reaches: nothing runs, the text shows."""

    def test_injected_markup_never_runs(self, hostile_site: dict[str, Any], browser: Any) -> None:
        base = hostile_site["base"]
        context = browser.new_context(locale="zh-CN", user_agent=PHONE_UA)
        dialogs: list[str] = []
        violations: list[str] = []
        page = context.new_page()
        page.on("dialog", lambda dialog: on_dialog(dialog, dialogs))
        page.on("console", lambda message: on_console(message, violations))
        page.goto(hostile_site["share_url"])  # a viewer opens the rep's link
        page.wait_for_load_state("networkidle")
        _set_label(hostile_site["runtime"], hostile_site["rep_id"], SCRIPT)
        page.goto(f"{base}/admin/login")
        page.fill("#email", "admin@hostile.test")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin")
        for url in [
            f"{base}/admin",
            f"{base}/admin/posts/{hostile_site['post_id']}",
            f"{base}/admin/reps",
            hostile_site["rep_url"],
            hostile_site["share_url"],
        ]:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__xss") is None, url
            assert page.locator("script:not([src])").count() == 0, url
            assert page.locator("img[src='x']").count() == 0, url
            assert "window.__xss" in page.inner_text("body"), url
        assert dialogs == [] and violations == []
        context.close()


def on_dialog(dialog: Any, seen: list[str]) -> None:
    seen.append(dialog.message)  # an alert() would mean injected script ran
    dialog.dismiss()


def on_console(message: Any, seen: list[str]) -> None:
    if "Content Security Policy" in message.text:  # the policy blocked something of ours
        seen.append(message.text)


@pytest.fixture(scope="module")
def hostile_site(server: tuple[str, Runtime]) -> dict[str, Any]:
    from service.plans import service as plans_service
    from service.posts import service as posts_service
    from service.posts.schemas import PostCreate
    from service.reps import service as reps_service
    from service.reps.schemas import RepCreate
    from service.tracking.links import ShareLink, share_path, signer_for

    base, runtime = server
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="hostile", name=SCRIPT)
        orgs_service.create_staff(
            session, org_id=org.id, email="admin@hostile.test", password=PASSWORD, role=Role.ADMIN
        )
        rep = reps_service.create(session, org_id=org.id, data=RepCreate(name=IMG, team=SCRIPT))
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=org.id,
            author_id=None,
            data=PostCreate(title=SCRIPT, text=f"{SCRIPT}\n{IMG}", article=f"## {SCRIPT}\n\n{IMG}"),
            uploads=[],
        )
        plans_service.publish(session, runtime.settings, post)
        link = ShareLink(org.id, post.id, rep.id)
        return {
            "base": base,
            "runtime": runtime,
            "post_id": post.id,
            "rep_id": rep.id,
            "rep_url": reps_service.personal_url(runtime, rep),
            "share_url": base + share_path(signer_for(runtime.settings.secret_key), link),
        }


# The browser fixtures of the service suite: a uvicorn server on a free port, and Chromium.
pytest.importorskip("playwright.sync_api")
from tests.service.test_browser import browser, server  # noqa: E402

__all__ = ["browser", "server"]


class TestLoginThrottle:
    @pytest.fixture
    def fresh(self, runtime: Runtime) -> TestClient:
        """An app of its own: the throttle's counts never leak into other tests."""
        return TestClient(create_app(runtime=runtime), raise_server_exceptions=False)

    def test_ten_failures_lock_the_account_even_with_the_right_password(
        self, fresh: TestClient, org: Org
    ) -> None:
        wrong = {"email": org.admin_email, "password": "guess"}
        statuses = [fresh.post("/api/auth/token", json=wrong).status_code for _ in range(10)]
        assert statuses == [401] * 10
        right = {"email": org.admin_email, "password": PASSWORD}
        locked = fresh.post("/api/auth/token", json=right)
        assert (locked.status_code, locked.json()["error"]) == (429, "too_many_logins")
        assert 0 < int(locked.headers["retry-after"]) <= 900
        form = fresh.post("/admin/login", data=right, headers={"accept": "text/html"})
        assert form.status_code == 429 and "登录失败次数过多" in form.text
        assert form.headers["x-frame-options"] == "DENY"

    def test_another_account_still_logs_in_and_success_resets_the_count(
        self, fresh: TestClient, make_org: Any
    ) -> None:
        victim, other = make_org(), make_org()
        for _ in range(9):
            fresh.post("/admin/login", data={"email": victim.admin_email, "password": "x"})
        assert login_cookie(fresh, other.admin_email).status_code == 303
        assert login_cookie(fresh, victim.admin_email).status_code == 303  # 9 < 10: allowed
        for _ in range(9):  # the success cleared the earlier nine
            fresh.post("/admin/login", data={"email": victim.admin_email, "password": "x"})
        assert login_cookie(fresh, victim.admin_email).status_code == 303

    def test_the_lock_lifts_when_the_window_passes(self) -> None:
        now = [1000.0]
        throttle = security.LoginThrottle(per_email=3, per_address=5, clock=lambda: now[0])
        for _ in range(3):
            throttle.failed(email="A@x.test", address="10.0.0.1")
        assert throttle.retry_after(email="a@x.test ", address="10.0.0.2") == 900
        assert throttle.retry_after(email="b@x.test", address="10.0.0.1") == 0
        for _ in range(2):
            throttle.failed(email="c@x.test", address="10.0.0.1")
        assert throttle.retry_after(email="d@x.test", address="10.0.0.1") == 900  # 5 per address
        now[0] += 900.5
        assert throttle.retry_after(email="a@x.test", address="10.0.0.1") == 0
