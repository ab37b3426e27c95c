"""Staff login and logout pages (cookie session, SameSite=Lax, HttpOnly).

The login form carries its own CSRF token, bound to a random pre-login cookie: without it
another site could post its own credentials to this form and so log the victim's browser into
the attacker's account (login CSRF), where whatever the victim uploads lands with the attacker.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from service.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from service.errors import Unauthorized
from service.orgs import service as orgs_service
from service.routing import CredentialsFirst
from service.runtime import Runtime
from service.security import new_nonce
from service.web import PageStaff, check_csrf, redirect, render, set_private_cookie

router = APIRouter(prefix="/admin", include_in_schema=False, route_class=CredentialsFirst)

LOGIN_COOKIE = "mc_login"  # the pre-login nonce the form's token is bound to
LOGIN_COOKIE_SECONDS = 24 * 3600


def safe_next(target: str) -> str:
    """Only local admin paths: never redirect a login to another site."""
    return target if target.startswith("/admin") and "//" not in target else "/admin"


def login_page(
    request: Request,
    runtime: Runtime,
    *,
    next: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form, with a token for this browser's pre-login nonce (set now if it has none)."""
    nonce = request.cookies.get(LOGIN_COOKIE) or new_nonce()
    response = render(
        request,
        "login.html",
        status_code=status_code,
        next=safe_next(next),
        email=email,
        error=error,
        login_csrf=runtime.signer.csrf_token(f"login:{nonce}"),
    )
    if LOGIN_COOKIE not in request.cookies:
        set_private_cookie(
            response,
            runtime.settings,
            LOGIN_COOKIE,
            nonce,
            max_age=LOGIN_COOKIE_SECONDS,
            path="/admin/login",
        )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, runtime: RuntimeDep, next: str = "/admin") -> HTMLResponse:
    return login_page(request, runtime, next=next)


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/admin",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not runtime.signer.check_csrf(f"login:{nonce}", csrf):
        # Not counted as a failed login (403, not 401): the password was never checked.
        return login_page(
            request,
            runtime,
            next=next,
            email=email,
            status_code=403,
            error="页面已过期，请重新登录。",
        )
    try:
        staff = orgs_service.authenticate(session, email=email, password=password)
    except Unauthorized:
        return login_page(
            request, runtime, next=next, email=email, status_code=401, error="邮箱或密码不正确"
        )
    response = redirect(safe_next(next))
    response.delete_cookie(LOGIN_COOKIE, path="/admin/login")
    set_private_cookie(
        response,
        runtime.settings,
        SESSION_COOKIE,
        runtime.signer.staff_token(org_id=staff.org_id, staff_id=staff.id),
        max_age=runtime.settings.staff_token_ttl_seconds,
    )
    return response


@router.post("/logout", response_model=None)
def logout(
    request: Request, staff: PageStaff, runtime: RuntimeDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, runtime, csrf)
    response = redirect("/admin/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
