"""Shared plumbing for HTML pages: templates, the logged-in staff member, CSRF, redirects."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.db import unit_of_work
from service.deps import SESSION_COOKIE, RuntimeDep, SessionDep, get_current_staff
from service.errors import (
    AppError,
    Forbidden,
    FormRejected,
    LoginRequired,
    Unauthorized,
    app_error_response,
)
from service.headers import security_headers
from service.models import Staff
from service.settings import Settings

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
CHINA = ZoneInfo("Asia/Shanghai")


class PageSecurityHeaders:
    """Adds the security headers (service/headers.py) to every response.

    Pure ASGI rather than `@app.middleware("http")`: it edits the response start and never
    buffers a body (image downloads, the zip of a rep's images)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [
            (name.lower().encode(), value.encode())
            for name, value in security_headers(
                str(scope.get("path", "")), https=self.https
            ).items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def local_time(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return value.astimezone(CHINA).strftime(fmt) if value else ""


TEMPLATES.env.filters["local_time"] = local_time


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def get_page_staff(request: Request, runtime: RuntimeDep, session: SessionDep) -> Staff:
    """The staff member behind the login cookie; pages redirect to the login form otherwise."""
    try:
        staff = get_current_staff(request, runtime, session)
    except Unauthorized as exc:
        raise LoginRequired(exc.detail) from None
    request.state.csrf = runtime.signer.csrf_token(request.cookies.get(SESSION_COOKIE, ""))
    request.state.staff = staff
    return staff


PageStaff = Annotated[Staff, Depends(get_page_staff)]


def _rejected_form(request: Request, exc: FormRejected) -> Response:
    runtime = request.app.state.runtime
    with unit_of_work(runtime.sessions) as session:
        return exc.page(session, get_page_staff(request, runtime, session))


CSRF_FIELD = "csrf"  # a page form's hidden field
CSRF_HEADER = "x-csrf-token"  # a page script's fetch (static/alternatives.js)


async def check_page_csrf(request: Request, _staff: PageStaff, runtime: RuntimeDep) -> None:
    """A page's form or script carries a token bound to the login cookie: another site cannot
    forge it. After PageStaff, so a stranger hears "log in" and is never read further; a form
    FastAPI has parsed already is not read again (Starlette keeps it on the request)."""
    presented = request.headers.get(CSRF_HEADER) or await _form_token(request)
    if not runtime.signer.check_csrf(request.cookies.get(SESSION_COOKIE, ""), presented):
        raise Forbidden("the form expired; reload the page and try again", code="csrf_failed")


async def _form_token(request: Request) -> str:
    value = (await request.form()).get(CSRF_FIELD)  # empty for a body that is no form
    return value if isinstance(value, str) else ""


# Every state-changing page route takes `_csrf: CsrfForm` (tests/test_architecture.py).
CsrfForm = Annotated[None, Depends(check_page_csrf)]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_private_cookie(
    response: Response, settings: Settings, name: str, value: str, *, max_age: int, path: str = "/"
) -> None:
    """Every cookie momentcast sets: never readable by scripts, sent on top-level navigations
    from other sites (WeChat's redirects, a shared link) but not on their sub-requests, and
    only over https when the site is served over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
    )


# What a rep (or a staff member in a browser) reads instead of the JSON error.
FRIENDLY = {
    "rep_link_unknown": "链接无效，请向管理员索取您的专属链接。",
    "rep_link_revoked": "此链接已更换，请向管理员索取新的专属链接。",
    "rep_deactivated": "此账号已停用，如有疑问请联系管理员。",
    "post_not_found": "找不到这条素材，可能尚未发布。",
    "share_not_found": "链接无效或内容已下线。",
    "share_unavailable": "该内容已下线，感谢关注。",
    "csrf_failed": "页面已过期，请刷新后重试。",
}


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
        "/api/"
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if isinstance(exc, FormRejected):
        return await run_in_threadpool(_rejected_form, request, exc)
    if isinstance(exc, LoginRequired) and wants_html(request):
        return redirect(f"/admin/login?next={request.url.path}")
    if wants_html(request):
        page = render(
            request,
            "error.html",
            status_code=exc.status_code,
            message=FRIENDLY.get(exc.code, exc.message or exc.detail),
        )
        page.headers.update(exc.headers)
        return page
    return app_error_response(exc)


def install_page_handlers(app: FastAPI) -> None:
    """Browsers get a readable page (or the login form); API clients keep the JSON errors."""
    app.add_exception_handler(AppError, _app_error)
