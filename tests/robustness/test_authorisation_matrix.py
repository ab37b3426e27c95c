"""Every route × every kind of caller, with the status each must get.

The matrix is built from `app.routes`: a route without a rule here fails
`test_every_route_has_a_rule`, so a new endpoint cannot ship without deciding who may call it.
Callers: anonymous, a rep (their link token, also sent as a bearer token), a manager, an
editor, an admin, and the admin of another organisation. Capability links are the credential:
`/r/{token}` answers the rep's own token (everyone else presents a forged one: 404), and
`/s/{token}` is public by design (a share link is meant to be forwarded).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.runtime import Runtime
from tests.service.conftest import PASSWORD, Org

CALLERS = ("anonymous", "rep", "other_admin", "manager", "editor", "admin")  # admin last: it
# may rotate the rep's link or erase the viewer the others were refused.
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) Mobile/15E148 MicroMessenger/8.0.49"
FORGED = "WzEsMSwiYWJjIl0.forged-signature"
ID_PARAMS = ("post_id", "rep_id", "viewer_id", "staff_id")


@dataclass
class World:
    org: Org
    other: Org
    post_id: int
    rep_id: int
    rep_token: str
    share_token: str
    viewer_id: int
    view_token: str
    staff_id: int  # the organisation's editor


Request = Callable[[World, TestClient], dict[str, Any]]


def nothing(_world: World, _client: TestClient) -> dict[str, Any]:
    return {}


def json_body(value: Any) -> Request:
    return lambda _w, _c: {"json": value}


def form(**values: str) -> Request:
    return lambda _w, _c: {"data": values}


@dataclass(frozen=True)
class Rule:
    """Who may call: public, staff, editor, admin, rep_link or share_link; `ok` is the status
    an allowed caller gets with `request`'s body."""

    who: str
    ok: int
    request: Request = nothing

    def expected(self, caller: str, path: str) -> int:
        if self.who in {"public", "share_link"}:
            return self.ok
        if self.who == "rep_link":
            return self.ok if caller == "rep" else 404
        allowed = {"staff": 3, "editor": 2, "admin": 1}[self.who]
        if caller in {"anonymous", "rep"}:
            return 401
        if caller == "other_admin":
            # Others' ids are unknown (404); lists and exports are scoped to their own org.
            return 404 if any(f"{{{name}}}" in path for name in ID_PARAMS) else self.ok
        return self.ok if caller in ("admin", "editor", "manager")[:allowed] else 403


def unique_staff(_w: World, _c: TestClient) -> dict[str, Any]:
    return {"json": {"email": f"{uuid.uuid4().hex[:8]}@new.test", "password": "a long password"}}


def new_password(_w: World, _c: TestClient) -> dict[str, Any]:
    return {"json": {"current_password": PASSWORD, "new_password": "a new long password"}}


def reps_csv(_w: World, _c: TestClient) -> dict[str, Any]:
    return {"files": {"file": ("reps.csv", "姓名\n王五\n".encode(), "text/csv")}}


def reps_csv_page(world: World, client: TestClient) -> dict[str, Any]:
    return reps_csv(world, client) | {"page_form": True}


def page_post(**values: str) -> Request:
    """A browser form: the CSRF token travels with the cookie it is bound to."""
    return lambda _w, _c: {"data": values, "page_form": True}


def new_post_form(_w: World, _c: TestClient) -> dict[str, Any]:
    return {"data": {"title": "新素材", "text": "正文"}, "page_form": True}


def current_rules(world: World, client: TestClient) -> dict[str, Any]:
    rules = client.get("/api/tracking/rules", headers=world.org.admin).json()
    return {"json": rules}


def beacon(world: World, _c: TestClient) -> dict[str, Any]:
    body = f'{{"t": "{world.view_token}", "s": 1, "v": 0}}'
    return {"content": body, "headers": {"content-type": "text/plain"}}


def bad_login(as_json: bool) -> Request:
    """Wrong credentials for a fresh address each time, so the login throttle stays out of it."""

    def build(_w: World, client: TestClient) -> dict[str, Any]:
        fields = {"email": f"{uuid.uuid4().hex[:8]}@nowhere.test", "password": "wrong"}
        if as_json:
            return {"json": fields}
        # The form's own CSRF token, bound to the pre-login cookie the form sets.
        client.cookies.clear()
        form = client.get("/admin/login")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
        assert csrf is not None
        cookies = {"mc_login": form.cookies["mc_login"]}
        return {"data": fields | {"csrf": csrf.group(1)}, "cookies": cookies}

    return build


def params(**values: str) -> Request:
    return lambda _w, _c: {"params": values}


def page_json(value: Any) -> Request:
    """A page script's fetch: JSON with the login cookie and the CSRF token in a header."""
    return lambda _w, _c: {"json": value, "page_json": True}


def current_sentences(world: World, client: TestClient) -> dict[str, Any]:
    current = client.get(f"/api/posts/{world.post_id}/alternatives", headers=world.org.admin)
    return {"json": {"sentences": [{"text": s["text"]} for s in current.json()["sentences"]]}}


PROVIDER = {
    "base_url": "https://api.deepseek.com/v1",
    "model": "deepseek-chat",
    "api_key": "sk-0123456789abcdef",
}


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/openapi.json"): Rule("public", 200),
    ("GET", "/docs"): Rule("public", 200),
    ("GET", "/docs/oauth2-redirect"): Rule("public", 200),
    ("GET", "/redoc"): Rule("public", 200),
    ("GET", "/healthz"): Rule("public", 200),
    ("GET", "/"): Rule("public", 307),
    ("GET", "/static"): Rule("public", 200),
    ("POST", "/api/auth/token"): Rule("public", 401, bad_login(as_json=True)),
    ("GET", "/api/me"): Rule("staff", 200),
    ("POST", "/api/auth/logout"): Rule("staff", 204),
    ("POST", "/api/auth/logout-all"): Rule("staff", 200),
    ("POST", "/api/me/password"): Rule("staff", 204, new_password),
    ("PATCH", "/api/staff/{staff_id}"): Rule("admin", 200, json_body({"active": True})),
    ("POST", "/api/staff"): Rule("admin", 201, unique_staff),
    ("GET", "/api/staff"): Rule("admin", 200),
    ("GET", "/api/org/reminder-channels"): Rule("admin", 200),
    ("PUT", "/api/org/reminder-channels"): Rule("admin", 200, json_body({"webhook_url": ""})),
    ("POST", "/api/posts"): Rule("editor", 201, form(title="t", text="正文")),
    ("GET", "/api/posts"): Rule("staff", 200),
    ("GET", "/api/posts/{post_id}"): Rule("staff", 200),
    ("GET", "/api/posts/{post_id}/images/{position}"): Rule("staff", 200),
    ("POST", "/api/reps"): Rule("admin", 201, json_body({"name": "新人"})),
    ("POST", "/api/reps/import"): Rule("admin", 200, reps_csv),
    ("GET", "/api/reps"): Rule("admin", 200),
    ("GET", "/api/reps/{rep_id}"): Rule("admin", 200),
    ("PATCH", "/api/reps/{rep_id}"): Rule("admin", 200, json_body({"team": "二组"})),
    ("POST", "/api/reps/{rep_id}/rotate-link"): Rule("admin", 200),
    ("GET", "/api/posts/{post_id}/copies/{rep_id}"): Rule("staff", 200),
    ("GET", "/api/posts/{post_id}/copies/{rep_id}/images/{position}"): Rule("staff", 200),
    ("GET", "/api/posts/{post_id}/preview"): Rule("staff", 200),
    ("POST", "/api/posts/{post_id}/publish"): Rule("editor", 200),
    ("GET", "/api/posts/{post_id}/plan"): Rule("staff", 200),
    ("GET", "/api/reps/{rep_id}/history"): Rule("staff", 200),
    ("GET", "/api/posts/{post_id}/views"): Rule("staff", 200),
    ("GET", "/api/posts/{post_id}/share-tree"): Rule("staff", 200),
    ("GET", "/api/viewers"): Rule("staff", 200),
    ("GET", "/api/viewers/{viewer_id}"): Rule("staff", 200),
    ("PATCH", "/api/viewers/{viewer_id}"): Rule("staff", 200, json_body({"label": "老客户"})),
    ("GET", "/api/viewers/{viewer_id}/export"): Rule("admin", 200),
    ("DELETE", "/api/viewers/{viewer_id}"): Rule("admin", 204),
    ("GET", "/api/tracking/rules"): Rule("staff", 200),
    ("PUT", "/api/tracking/rules"): Rule("admin", 200, current_rules),
    ("POST", "/t"): Rule("public", 204, beacon),
    ("GET", "/r/{token}"): Rule("rep_link", 200),
    ("GET", "/r/{token}/posts/{post_id}.json"): Rule("rep_link", 200),
    ("POST", "/r/{token}/posts/{post_id}/posted"): Rule("rep_link", 200),
    ("GET", "/r/{token}/posts/{post_id}/images/{position}"): Rule("rep_link", 200),
    ("GET", "/r/{token}/posts/{post_id}/images.zip"): Rule("rep_link", 200),
    ("GET", "/r/{token}/viewers.json"): Rule("rep_link", 200),
    ("POST", "/r/{token}/viewers/{viewer_id}/label"): Rule(
        "rep_link", 200, json_body({"label": "优优妈妈"})
    ),
    ("POST", "/r/{token}/viewers/{viewer_id}/name"): Rule("rep_link", 303, form(label="优优")),
    ("GET", "/s/{token}"): Rule("share_link", 302),  # to the viewer's own link
    ("GET", "/s/{token}/images/{position}"): Rule("share_link", 200),
    ("GET", "/admin/login"): Rule("public", 200),
    ("POST", "/admin/login"): Rule("public", 401, bad_login(as_json=False)),
    ("POST", "/admin/logout"): Rule("staff", 303, page_post()),
    ("POST", "/admin/logout-all"): Rule("staff", 303, page_post()),
    ("GET", "/admin"): Rule("staff", 200),
    ("GET", "/admin/posts/new"): Rule("staff", 200),
    ("POST", "/admin/posts"): Rule("editor", 303, new_post_form),
    ("GET", "/admin/posts/{post_id}"): Rule("staff", 200),
    ("POST", "/admin/posts/{post_id}/publish"): Rule("editor", 303, page_post()),
    ("GET", "/admin/reps"): Rule("admin", 200),
    ("POST", "/admin/reps"): Rule("admin", 303, page_post(name="新人")),
    ("POST", "/admin/reps/import"): Rule("admin", 200, reps_csv_page),
    ("POST", "/admin/reps/{rep_id}/{action}"): Rule("admin", 303, page_post()),
    # The dashboard (service/dashboard): every staff role reads, within its own organisation.
    ("GET", "/api/dashboard/campaign"): Rule("staff", 200),
    ("GET", "/api/dashboard/campaign.csv"): Rule("staff", 200),
    ("GET", "/api/dashboard/posts/{post_id}"): Rule("staff", 200),
    ("GET", "/api/dashboard/posts/{post_id}/reps.csv"): Rule("staff", 200),
    # Deprecated aliases of GET /api/viewers[/{viewer_id}] (same handlers, service/tracking).
    ("GET", "/api/dashboard/viewers"): Rule("staff", 200),
    ("GET", "/api/dashboard/viewers/{viewer_id}"): Rule("staff", 200),
    ("GET", "/api/dashboard/segments"): Rule("staff", 200, params(tag="新客")),
    ("GET", "/api/dashboard/segments.csv"): Rule("staff", 200, params(tag="新客")),
    ("GET", "/api/dashboard/leaderboard"): Rule("staff", 200),
    ("GET", "/api/dashboard/leaderboard/{table}.csv"): Rule("staff", 200),
    ("GET", "/admin/dashboard"): Rule("staff", 200),
    ("GET", "/admin/dashboard/posts/{post_id}"): Rule("staff", 200),
    ("GET", "/admin/dashboard/viewers"): Rule("staff", 200),
    ("GET", "/admin/dashboard/viewers/{viewer_id}"): Rule("staff", 200),
    ("GET", "/admin/dashboard/leaderboard"): Rule("staff", 200),
    # Sentence alternatives, brand voice and 改写建议 (service/posts, service/rewrite).
    ("POST", "/api/posts/sentences"): Rule("editor", 200, json_body({"text": "新品到店。"})),
    ("GET", "/api/posts/{post_id}/alternatives"): Rule("staff", 200),
    ("PUT", "/api/posts/{post_id}/alternatives"): Rule("editor", 200, current_sentences),
    ("PUT", "/api/posts/{post_id}/voice"): Rule("editor", 200, json_body({"particles": "none"})),
    ("GET", "/api/org/voice"): Rule("staff", 200),
    ("PUT", "/api/org/voice"): Rule("admin", 200, json_body({"frame_lines": "closer"})),
    ("POST", "/api/rewrite/suggestions"): Rule(
        "editor", 200, json_body({"sentence": "新品到店啦，欢迎来店里看看。"})
    ),
    ("GET", "/api/org/rewrite-provider"): Rule("admin", 200),
    ("PUT", "/api/org/rewrite-provider"): Rule("admin", 200, json_body(PROVIDER)),
    ("DELETE", "/api/org/rewrite-provider"): Rule("admin", 200),
    ("POST", "/admin/sentences"): Rule("editor", 200, page_json({"text": "新品到店。"})),
    ("POST", "/admin/rewrite/suggestions"): Rule(
        "editor", 200, page_json({"sentence": "新品到店啦，欢迎来店里看看。"})
    ),
    ("GET", "/admin/settings"): Rule("admin", 200),
    ("POST", "/admin/settings/voice"): Rule("admin", 303, page_post(frame_lines="closer")),
    ("POST", "/admin/settings/rewrite"): Rule("admin", 303, page_post(remove="1")),
    ("GET", "/admin/posts/{post_id}/alternatives"): Rule("staff", 200),
    ("POST", "/admin/posts/{post_id}/alternatives"): Rule("editor", 303, page_post()),
}


def app_routes(app: FastAPI) -> Iterator[tuple[str, str, str]]:
    """(method, path, endpoint module) of every route, included routers flattened."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None:
            methods = getattr(route, "methods", None) or {"GET"}  # a mount serves GET
            module = getattr(getattr(route, "endpoint", None), "__module__", "")
            for method in sorted(set(methods) - {"HEAD"}):
                yield method, str(getattr(route, "path", "")), module
            continue
        for context in contexts():
            methods = getattr(context.original_route, "methods", None) or set()
            module = getattr(context.endpoint, "__module__", "")
            for method in sorted(set(methods) - {"HEAD"}):
                yield method, context.path, module


class TestRouteTable:
    def test_every_route_has_a_rule(self, app: FastAPI) -> None:
        routes = {(method, path) for method, path, _module in app_routes(app)}
        assert sorted(routes - set(RULES)) == [], "routes without an authorisation rule"
        assert sorted(set(RULES) - routes) == [], "rules for routes that no longer exist"


@pytest.fixture
def world(runtime: Runtime, client: TestClient, make_org: Any, share: Any, viewer: Any) -> World:
    shared = share(images=1)
    phone = viewer()
    view_token, _ = phone.open(shared.path)
    viewers = client.get("/api/viewers", headers=shared.org.manager).json()["viewers"]
    staff = client.get("/api/staff", headers=shared.org.admin).json()
    return World(
        org=shared.org,
        other=make_org(),
        post_id=shared.post_id,
        rep_id=shared.rep_id,
        rep_token=shared.rep_path.removeprefix("/r/"),
        share_token=shared.path.removeprefix("/s/"),
        viewer_id=viewers[0]["id"],
        view_token=view_token or "",
        staff_id=next(member["id"] for member in staff if member["role"] == "editor"),
    )


def call(
    client: TestClient, runtime: Runtime, world: World, key: tuple[str, str], caller: str
) -> int:
    method, template = key
    rule = RULES[key]
    token = world.rep_token if caller == "rep" else FORGED
    path = template.format(
        post_id=world.post_id,
        rep_id=world.rep_id,
        viewer_id=world.viewer_id,
        staff_id=world.staff_id,
        position=0,
        action="deactivate",
        table="reps",
        token=world.share_token if rule.who == "share_link" else token,
    )
    if path == "/static":
        path = "/static/app.css"
    request = rule.request(world, client)
    headers = {"user-agent": PHONE_UA} | request.pop("headers", {})
    cookies: dict[str, str] = {}
    staff = {"admin": world.org.admin, "editor": world.org.editor, "manager": world.org.manager}
    bearer = (world.other.admin if caller == "other_admin" else staff.get(caller, {})).get(
        "Authorization", ""
    )
    if caller == "rep":
        bearer = f"Bearer {world.rep_token}"
    if bearer:
        headers["authorization"] = bearer
    if request.pop("page_form", False) and bearer.startswith("Bearer "):
        session = bearer.removeprefix("Bearer ")
        cookies["mc_session"] = session
        request.setdefault("data", {})["csrf"] = runtime.signer.csrf_token(session)
    if request.pop("page_json", False) and bearer.startswith("Bearer "):
        session = bearer.removeprefix("Bearer ")
        cookies["mc_session"] = session
        headers["x-csrf-token"] = runtime.signer.csrf_token(session)
    cookies.update(request.pop("cookies", {}))
    client.cookies.clear()
    client.cookies.update(cookies)
    response = client.request(method, path, headers=headers, follow_redirects=False, **request)
    return response.status_code


@pytest.mark.parametrize("key", sorted(RULES), ids=lambda key: f"{key[0]} {key[1]}")
def test_each_caller_gets_the_expected_status(
    client: TestClient, runtime: Runtime, world: World, key: tuple[str, str]
) -> None:
    expected = {caller: RULES[key].expected(caller, key[1]) for caller in CALLERS}
    got = {caller: call(client, runtime, world, key, caller) for caller in CALLERS}
    assert got == expected
