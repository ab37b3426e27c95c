"""Optional WeChat Official Account silent OAuth (snsapi_base), against a local fake of
WeChat's two endpoints speaking their wire format: the authorize redirect and the code
exchange at /sns/oauth2/access_token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from service.runtime import Runtime
from tests.tracking.conftest import PHONE_UA

APPID, SECRET = "wx1234567890abcdef", "fake-oa-secret"


class FakeWeChat(BaseHTTPRequestHandler):
    """Codes map to openids as the test's phones do: code-<person> -> openid-<person>."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        FakeWeChat.requests.append({"path": url.path, **query})
        if url.path == "/connect/oauth2/authorize":
            # snsapi_base is silent: WeChat redirects straight back with a code.
            person = self.headers.get("x-person", "alice")
            back = f"{query['redirect_uri']}{'&' if '?' in query['redirect_uri'] else '?'}"
            self.send_response(302)
            self.send_header(
                "Location", back + urlencode({"code": f"code-{person}", "state": query["state"]})
            )
            self.end_headers()
        elif url.path == "/sns/oauth2/access_token":
            ok = (
                query.get("appid") == APPID
                and query.get("secret") == SECRET
                and query.get("grant_type") == "authorization_code"
                and query.get("code", "").startswith("code-")
            )
            body: dict[str, Any] = (
                {
                    "access_token": "ACCESS_TOKEN",
                    "expires_in": 7200,
                    "refresh_token": "REFRESH_TOKEN",
                    "openid": "openid-" + query["code"].removeprefix("code-"),
                    "scope": "snsapi_base",
                }
                if ok
                else {"errcode": 40029, "errmsg": "invalid code"}
            )
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; encoding=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def wechat(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    FakeWeChat.requests = []
    for name, value in [
        ("wechat_oa_appid", APPID),
        ("wechat_oa_secret", SECRET),
        ("wechat_open_url", url),
        ("wechat_api_url", url),
    ]:
        monkeypatch.setattr(runtime.settings, name, value)
    yield url
    server.shutdown()
    thread.join(timeout=5)


def through_wechat(phone: Any, path: str, *, person: str) -> Any:
    """Open `path` the way WeChat's browser would: follow the silent OAuth round trip."""
    first = phone.http.get(path, follow_redirects=False)
    assert first.status_code in {302, 307}, first.text
    authorize = first.headers["location"]
    back = httpx.get(authorize.split("#")[0], headers={"x-person": person})
    assert back.status_code == 302
    landing = phone.http.get(back.headers["location"].removeprefix("http://testserver"))
    assert landing.status_code == 200
    return landing


class TestSilentOAuth:
    def test_wechat_viewers_get_their_openid_silently(
        self, wechat: str, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        phone = viewer()
        landing = through_wechat(phone, shared.path, person="alice")
        assert 'data-token="' in landing.text
        (authorize,) = [r for r in FakeWeChat.requests if r["path"] == "/connect/oauth2/authorize"]
        assert authorize["scope"] == "snsapi_base" and authorize["appid"] == APPID
        assert authorize["redirect_uri"] == "http://testserver" + shared.path
        export = staff_client.get(
            f"/api/viewers/{self._viewer_id(staff_client, shared)}/export",
            headers=shared.org.admin,
        ).json()
        assert export["openid"] == "openid-alice"
        phone.open(shared.path)  # the cookie now answers: no second round trip
        assert len([r for r in FakeWeChat.requests if r["path"].endswith("authorize")]) == 1

    def test_the_same_openid_on_a_new_phone_is_the_same_viewer(
        self, wechat: str, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        through_wechat(viewer(), shared.path, person="bob")
        through_wechat(viewer(), shared.path, person="bob")
        rows = staff_client.get(
            f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
        ).json()
        assert len(rows) == 2 and rows[0]["viewer_id"] == rows[1]["viewer_id"]

    def test_a_refused_code_leaves_the_viewer_anonymous_but_served(
        self, wechat: str, share: Any, viewer: Any
    ) -> None:
        shared = share()
        phone = viewer()
        first = phone.http.get(shared.path, follow_redirects=False)  # sets the state cookie
        state = parse_qs(urlsplit(first.headers["location"]).query)["state"][0]
        landing = phone.http.get(shared.path, params={"code": "forged", "state": state})
        assert landing.status_code == 200 and 'data-token="' in landing.text
        exchange = [r for r in FakeWeChat.requests if r["path"] == "/sns/oauth2/access_token"]
        assert exchange and exchange[0]["code"] == "forged"

    def test_the_state_is_random_alphanumeric_and_bound_to_the_browser(
        self, wechat: str, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        attacker, victim = viewer(), viewer()
        states = []
        for phone in (attacker, victim):
            first = phone.http.get(shared.path, follow_redirects=False)
            states.append(parse_qs(urlsplit(first.headers["location"]).query)["state"][0])
        assert states[0] != states[1] and all(s.isalnum() and len(s) <= 128 for s in states)
        # The attacker's own code and state, sent to the victim: never exchanged.
        landing = victim.http.get(shared.path, params={"code": "code-mallory", "state": states[0]})
        assert landing.status_code == 200 and 'data-token="' in landing.text
        assert not [r for r in FakeWeChat.requests if r["path"].endswith("access_token")]
        rows = staff_client.get(
            f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
        ).json()
        assert len(rows) == 1  # the victim is counted, as an anonymous viewer of their own

    def test_other_browsers_and_unconfigured_apps_never_redirect(
        self,
        runtime: Runtime,
        share: Any,
        viewer: Any,
        wechat: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        shared = share()
        safari = viewer(PHONE_UA.replace(" MicroMessenger/8.0.49(0x18003129)", ""))
        assert safari.http.get(shared.path).status_code == 200
        monkeypatch.setattr(runtime.settings, "wechat_oa_secret", "")
        assert viewer().http.get(shared.path).status_code == 200
        assert FakeWeChat.requests == []

    @staticmethod
    def _viewer_id(staff_client: Any, shared: Any) -> int:
        rows = staff_client.get(
            f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
        ).json()
        return int(rows[0]["viewer_id"])
