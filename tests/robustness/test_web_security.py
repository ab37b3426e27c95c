"""Web security: headers on every page, cookie flags, CSRF on cookie-authenticated forms,
argon2 password hashes, no production start with the development key, and hostile text in a
post, a rep name and a viewer nickname shown as text in a real browser, never run."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from service import security
from service.app import create_app, login_throttle
from service.db import unit_of_work
from service.links import ShareLink, share_path, signer_for
from service.models import Rep, Role, Staff
from service.models.tracking import Viewer
from service.orgs import service as orgs_service
from service.runtime import Runtime
from service.settings import DEV_SECRET_KEY, Settings
from service.web import check_page_csrf, get_page_staff
from tests.live import free_port
from tests.robustness.conftest import census
from tests.service.conftest import PASSWORD, Org, form_login
from tests.tracking.conftest import redis_or_skip

PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) Mobile/15E148 MicroMessenger/8.0.49"
SCRIPT = "<script>window.__xss=(window.__xss||0)+1</script>"
IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'


def login_cookie(client: TestClient, email: str) -> Any:
    response = form_login(client, email)
    assert response.status_code == 303, response.text
    return response


def session_cookie(response: Any) -> str:
    """The login session's Set-Cookie header (the response also clears the pre-login one)."""
    cookies = response.headers.get_list("set-cookie")
    return next(value for value in cookies if value.startswith("mc_session=")).lower()


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

    def test_an_unexpected_error_still_carries_the_headers(self, runtime: Runtime) -> None:
        app = create_app(runtime=runtime)

        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("a bug")

        response = TestClient(app, raise_server_exceptions=False).get("/boom")
        assert (response.status_code, response.json()["error"]) == (500, "internal_error")
        assert "a bug" not in response.text  # the details go to the log, not to the caller
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

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
        cookie = session_cookie(login_cookie(client, email))
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
        cookie = session_cookie(login_cookie(client, org.admin_email))
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


def dependency_calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependency_calls(sub)


def page_changes(app: FastAPI) -> Iterator[tuple[str, str, set[Any]]]:
    """(method, path, dependencies) of every route a logged-in browser changes things with."""
    for route in app.routes:
        for context in getattr(route, "effective_route_contexts", list)():
            calls = set(dependency_calls(context.dependant))
            if get_page_staff in calls:
                for method in sorted(set(context.original_route.methods) - {"GET", "HEAD"}):
                    yield method, context.path, calls


class TestEveryPageChangeNeedsTheToken:
    """Not only the reps form: every cookie-authenticated change takes web.CsrfForm, which
    refuses before anything is looked up (so any id shows it)."""

    def test_every_page_change_depends_on_the_csrf_form(self, app: FastAPI) -> None:
        routes = list(page_changes(app))
        assert len(routes) >= 12 and ("POST", "/admin/logout") in {r[:2] for r in routes}
        assert [(m, path) for m, path, calls in routes if check_page_csrf not in calls] == []

    def test_each_refuses_a_logged_in_browser_without_it(
        self, app: FastAPI, runtime: Runtime, org: Org
    ) -> None:
        browser = TestClient(app, raise_server_exceptions=False)
        login_cookie(browser, org.admin_email)
        before = census(runtime, org.id)
        fields = {"name": "伪造", "title": "伪造", "remove": "1", "text": "伪造。"}
        refused = {
            (method, path, body): (response.status_code, response.json().get("error"))
            for method, path, _calls in page_changes(app)
            for body in ("data", "json")  # a form, or a page script's JSON without the header
            for response in [
                browser.request(
                    method,
                    path.format(post_id=1, rep_id=1, action="deactivate"),
                    data=fields if body == "data" else None,
                    json=fields if body == "json" else None,
                    follow_redirects=False,
                )
            ]
        }
        assert set(refused.values()) == {(403, "csrf_failed")}, refused
        assert census(runtime, org.id) == before
        assert browser.get("/admin", follow_redirects=False).status_code == 200  # still in


class TestLoginCsrf:
    """Another site must not be able to log a browser into an account of its choosing."""

    @pytest.mark.parametrize(
        "forged",
        ["no cookie, no token", "token without the cookie", "another browser's token"],
    )
    def test_a_login_without_this_browsers_token_logs_nobody_in(
        self, app: Any, runtime: Runtime, org: Org, forged: str
    ) -> None:
        attacker, victim = TestClient(app), TestClient(app)
        attacker.get("/admin/login")
        token = runtime.signer.csrf_token(f"login:{attacker.cookies['mc_login']}")
        fields = {"email": org.admin_email, "password": PASSWORD}
        if forged == "token without the cookie":
            fields["csrf"] = token
        if forged == "another browser's token":
            victim.get("/admin/login")  # the victim has a pre-login cookie of their own
            fields["csrf"] = token
        response = victim.post(
            "/admin/login", data=fields, headers={"accept": "text/html"}, follow_redirects=False
        )
        assert response.status_code == 403 and "页面已过期" in response.text
        assert "mc_session" not in victim.cookies
        still_out = victim.get("/admin", headers={"accept": "text/html"}, follow_redirects=False)
        assert still_out.headers["location"].startswith("/admin/login")

    def test_the_form_sets_an_httponly_pre_login_cookie_and_a_retry_works(
        self, app: Any, org: Org
    ) -> None:
        browser = TestClient(app)
        form = browser.get("/admin/login")
        cookie = form.headers["set-cookie"].lower()
        assert cookie.startswith("mc_login=") and "httponly" in cookie and "samesite=lax" in cookie
        expired = browser.post(
            "/admin/login", data={"email": org.admin_email, "password": PASSWORD, "csrf": "0" * 32}
        )
        assert expired.status_code == 403  # the page it shows carries a working token again
        assert login_cookie(browser, org.admin_email).status_code == 303


class TestSecrets:
    def test_passwords_are_stored_as_argon2id_hashes(self, runtime: Runtime, org: Org) -> None:
        with unit_of_work(runtime.sessions) as session:
            hashes = session.scalars(select(Staff.password_hash).where(Staff.org_id == org.id))
            stored = list(hashes)
        assert stored and all(value.startswith("$argon2id$") for value in stored)
        assert all(PASSWORD not in value for value in stored)
        assert security.verify_password(stored[0], PASSWORD)
        assert not security.verify_password(stored[0], PASSWORD + " ")

    def test_staff_passwords_need_twelve_characters(self, client: TestClient, org: Org) -> None:
        def create(password: str) -> Any:
            staff = {"email": f"{len(password)}@{org.slug}.test", "password": password}
            return client.post("/api/staff", headers=org.admin, json=staff | {"role": "editor"})

        short = create("elevenchars")
        assert (short.status_code, short.json()["error"]) == (422, "weak_password")
        assert "12 characters" in short.json()["detail"]
        assert create("twelve chars").status_code == 201

    def test_the_secret_key_rotates_without_breaking_links_already_shared(
        self, tmp_path: Path
    ) -> None:
        old_key, new_key = "o" * 40, "n" * 40
        before = Settings(env="production", data_dir=tmp_path, secret_key=old_key)
        during = Settings(
            env="production", data_dir=tmp_path, secret_key=new_key, previous_secret_keys=old_key
        )
        after = Settings(env="production", data_dir=tmp_path, secret_key=new_key)

        def signers(settings: Settings) -> tuple[security.Signer, Any]:
            keys = settings.secret_keys
            return security.Signer(keys, staff_ttl_seconds=60), signer_for(keys)

        (old_signer, old_tracking), (signer, tracking), (new_signer, new_tracking) = map(
            signers, (before, during, after)
        )
        rep_link, share = security.RepLink(1, 2, "nonce"), ShareLink(1, 3, 2)
        issued = old_signer.rep_token(rep_link), old_tracking.share_token(share)
        staff = old_signer.staff_token(org_id=1, staff_id=4, session_id="abc")
        # During the rotation: what was issued still works; new tokens use the new key.
        assert signer.read_rep_token(issued[0]) == rep_link
        assert tracking.read_share_token(issued[1]) == share
        assert signer.read_staff_token(staff) == security.StaffClaim(1, 4, "abc")
        assert signer.check_csrf("s", old_signer.csrf_token("s"))
        fresh = signer.rep_token(rep_link)
        assert new_signer.read_rep_token(fresh) == rep_link
        with pytest.raises(security.TokenError):
            old_signer.read_rep_token(fresh)
        # Once the old key is dropped, what it signed is refused.
        with pytest.raises(security.TokenError):
            new_signer.read_rep_token(issued[0])
        with pytest.raises(security.TokenError):
            new_tracking.read_share_token(issued[1])

    def test_production_refuses_the_development_secret_key(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="MOMENTCAST_SECRET_KEY"):
            Settings(env="production", data_dir=tmp_path, secret_key=DEV_SECRET_KEY)
        assert Settings(env="production", data_dir=tmp_path, secret_key="x" * 40).env == (
            "production"
        )

    @pytest.mark.parametrize("key", ["", "   ", "short-key", "x" * 31])
    def test_production_refuses_empty_and_short_keys(self, tmp_path: Path, key: str) -> None:
        with pytest.raises(ValidationError, match="MOMENTCAST_SECRET_KEY"):
            Settings(env="production", data_dir=tmp_path, secret_key=key)

    def test_an_empty_key_is_refused_even_in_development(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="MOMENTCAST_SECRET_KEY is empty"):
            Settings(env="development", data_dir=tmp_path, secret_key="")

    def test_production_refuses_an_unsigned_webhook(self, tmp_path: Path) -> None:
        key = "k" * 40
        hook = "https://hooks.example.test/momentcast"
        with pytest.raises(ValidationError, match="MOMENTCAST_WEBHOOK_SECRET"):
            Settings(env="production", data_dir=tmp_path, secret_key=key, webhook_url=hook)
        settings = Settings(
            env="production",
            data_dir=tmp_path,
            secret_key=key,
            webhook_url=hook,
            webhook_secret="s" * 16,
        )
        assert settings.webhook_secret == "s" * 16


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
            form_login(fresh, victim.admin_email, "x")
        assert login_cookie(fresh, other.admin_email).status_code == 303
        assert login_cookie(fresh, victim.admin_email).status_code == 303  # 9 < 10: allowed
        for _ in range(9):  # the success cleared the earlier nine
            form_login(fresh, victim.admin_email, "x")
        assert login_cookie(fresh, victim.admin_email).status_code == 303

    def test_the_lock_lifts_when_the_window_passes(self) -> None:
        # Changed with issue 15 (finding 5): failures lock the (address, account) pair with a
        # growing delay, not the account everywhere, so 10.0.0.2 is no longer locked out.
        now = [1000.0]
        throttle = security.LoginThrottle(
            free_failures=3, first_delay=30, per_address=5, clock=lambda: now[0]
        )
        for _ in range(3):
            throttle.failed(email="A@x.test", address="10.0.0.1")
        assert throttle.retry_after(email="a@x.test ", address="10.0.0.1") == 30
        assert throttle.retry_after(email="a@x.test", address="10.0.0.2") == 0
        assert throttle.retry_after(email="b@x.test", address="10.0.0.1") == 0
        throttle.failed(email="a@x.test", address="10.0.0.1")
        assert throttle.retry_after(email="a@x.test", address="10.0.0.1") == 60  # doubled
        throttle.failed(email="c@x.test", address="10.0.0.1")
        assert throttle.retry_after(email="d@x.test", address="10.0.0.1") == 900  # 5 per address
        now[0] += 900.5
        assert throttle.retry_after(email="a@x.test", address="10.0.0.1") == 0

    def test_guesses_spread_over_many_addresses_slow_the_guessers_not_the_owner(self) -> None:
        now = [1000.0]
        throttle = security.LoginThrottle(per_account=4, clock=lambda: now[0])
        throttle.succeeded(email="boss@x.test", address="10.0.0.9")  # the owner's office
        for n in range(4):
            throttle.failed(email="boss@x.test", address=f"192.0.2.{n}")
        assert throttle.retry_after(email="boss@x.test", address="192.0.2.50") == 900
        assert throttle.retry_after(email="boss@x.test", address="10.0.0.9") == 0

    def test_with_redis_the_limits_hold_across_api_processes(
        self, runtime: Runtime, org: Org
    ) -> None:
        client = redis_or_skip()
        prefix = f"test-{uuid.uuid4().hex[:8]}:logins:"
        first, second = (create_app(runtime=runtime) for _ in range(2))  # two API processes
        for app in (first, second):
            app.state.login_throttle = security.SharedLoginThrottle(client, prefix=prefix)
        wrong = {"email": org.admin_email, "password": "guess"}
        apps = [TestClient(first), TestClient(second)]
        statuses = [apps[i % 2].post("/api/auth/token", json=wrong).status_code for i in range(10)]
        assert statuses == [401] * 10  # five failures seen by each process
        right = {"email": org.admin_email, "password": PASSWORD}
        assert [app.post("/api/auth/token", json=right).status_code for app in apps] == [429, 429]
        client.delete(*client.keys(f"{prefix}*"))

    def test_redis_is_used_whenever_the_install_has_one(self, tmp_path: Path) -> None:
        local = Settings(env="test", data_dir=tmp_path)
        shared = Settings(env="test", data_dir=tmp_path, events_url="redis://127.0.0.1:6379/0")
        assert type(login_throttle(local)) is security.LoginThrottle
        assert isinstance(login_throttle(shared), security.SharedLoginThrottle)

    def test_without_redis_it_still_throttles_in_the_process(self) -> None:
        unreachable = f"redis://127.0.0.1:{free_port()}/0"
        throttle = security.SharedLoginThrottle.from_url(unreachable, prefix="x:", free_failures=2)
        for _ in range(2):
            throttle.failed(email="a@x.test", address="10.0.0.1")
        assert 0 < throttle.retry_after(email="a@x.test", address="10.0.0.1") <= 900
