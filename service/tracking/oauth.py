"""WeChat Official Account silent web authorisation (snsapi_base): the viewer's openid, never
their profile, and never a consent screen. Only inside WeChat, only when configured, only when
the viewer has no cookie yet.

Wire format (WeChat's web-authorisation docs): the browser goes to
  {open}/connect/oauth2/authorize?appid=..&redirect_uri=..&response_type=code
      &scope=snsapi_base&state=..#wechat_redirect
and comes back with ?code=..&state=..; the server exchanges the code at
  {api}/sns/oauth2/access_token?appid=..&secret=..&code=..&grant_type=authorization_code
for {"access_token", "expires_in", "refresh_token", "openid", "scope"} or {"errcode", "errmsg"}.

`state` ties the round trip to the browser that started it: a random nonce in a short-lived
cookie, and its HMAC as the state (WeChat allows [a-zA-Z0-9], at most 128 bytes). A code that
comes back with another browser's state, or none, is not exchanged: otherwise anyone could
send a link carrying their own code and make a victim's reading count as theirs.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from service.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 3.0  # a slow WeChat must not keep the page from opening
STATE_COOKIE = "mc_oauth"
STATE_SECONDS = 600


def configured(settings: Settings) -> bool:
    return bool(settings.wechat_oa_appid and settings.wechat_oa_secret)


def wanted(settings: Settings, *, user_agent: str | None, cookie_id: str | None) -> bool:
    return configured(settings) and "MicroMessenger" in (user_agent or "") and not cookie_id


def authorize_url(settings: Settings, current_url: str, *, state: str) -> str:
    """Where to send the browser; it comes back to `current_url` with a code and `state`."""
    parts = urlsplit(current_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in {"code", "state"}]
    base = urlsplit(settings.base_url)
    back = urlunsplit((base.scheme, base.netloc, parts.path, urlencode(query), ""))
    params = urlencode(
        {
            "appid": settings.wechat_oa_appid,
            "redirect_uri": back,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    return f"{settings.wechat_open_url}/connect/oauth2/authorize?{params}#wechat_redirect"


def openid_for(settings: Settings, code: str) -> str | None:
    """The openid WeChat gives for `code`; None (and the viewer stays anonymous) on any error."""
    params = urlencode(
        {
            "appid": settings.wechat_oa_appid,
            "secret": settings.wechat_oa_secret,
            "code": code[:128],
            "grant_type": "authorization_code",
        }
    )
    url = f"{settings.wechat_api_url}/sns/oauth2/access_token?{params}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError) as exc:
        log.warning("WeChat OAuth code exchange failed: %s", type(exc).__name__)
        return None
    if not isinstance(answer, dict) or answer.get("errcode"):
        errmsg = answer.get("errmsg") if isinstance(answer, dict) else answer
        log.warning("WeChat OAuth refused the code: %s", errmsg)
        return None
    openid = answer.get("openid")
    return openid if isinstance(openid, str) and 0 < len(openid) <= 64 else None
