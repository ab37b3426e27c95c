"""Staff login and logout pages (cookie session, SameSite=Lax, HttpOnly).

The login form carries its own CSRF token, bound to a random pre-login cookie: without it
another site could post its own credentials to this form and so log the victim's browser into
the attacker's account (login CSRF), where whatever the victim uploads lands with the attacker.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from service.auth import login as login_flow
from service.auth import service as auth_service
from service.auth.login import LoginForm, TooManyLogins, read_login_form
from service.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from service.errors import AppError, Forbidden
from service.routing import CredentialsFirst
from service.runtime import Runtime
from service.security import new_nonce
from service.web import CsrfForm, PageStaff, redirect, render, set_private_cookie

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
    ask_org: bool = False,
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
        ask_org=ask_org,
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
    form: Annotated[LoginForm, Depends(read_login_form)],
) -> Response:
    """The form's fields are read by the same parser as the API's (service.auth.login); a
    locked (address, account) pair hears so before anything else."""
    next, email = form.get("next", "/admin"), form.get("email")
    throttle, address = request.app.state.login_throttle, login_flow.client_address(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    try:
        credentials = form.credentials()
        login_flow.check_allowed(throttle, email=credentials.email, address=address)
        if not nonce or not runtime.signer.check_csrf(f"login:{nonce}", form.get("csrf")):
            # Not counted as a failed login (403, not 401): the password was never checked.
            raise Forbidden("the login form expired", message="页面已过期，请重新登录。")
        staff = login_flow.authenticate(session, throttle, credentials, address=address)
    except TooManyLogins:
        raise
    except AppError as exc:
        return login_page(
            request,
            runtime,
            next=next,
            email=email,
            status_code=exc.status_code,
            error=exc.message or "邮箱或密码不正确",
            ask_org=exc.code == "org_required",
        )
    response = redirect(safe_next(next))
    response.delete_cookie(LOGIN_COOKIE, path="/admin/login")
    set_private_cookie(
        response,
        runtime.settings,
        SESSION_COOKIE,
        auth_service.start(
            session, runtime.signer, staff, ttl=auth_service.lifetime(runtime.settings)
        ),
        max_age=runtime.settings.staff_token_ttl_seconds,
    )
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, _csrf: CsrfForm) -> Response:
    """End this browser's session on the server, not only its cookie."""
    auth_service.end(request.state.login)  # set by PageStaff, which CsrfForm needs
    return signed_out()


@router.post("/logout-all", response_model=None)
def logout_everywhere(_csrf: CsrfForm, staff: PageStaff, session: SessionDep) -> Response:
    """「退出所有设备」: every session of this staff member ends, this browser's too."""
    auth_service.end_all(session, staff)
    return signed_out()


def signed_out() -> Response:
    response = redirect("/admin/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
