"""Staff login and logout pages (cookie session, SameSite=Lax, HttpOnly)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from service.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from service.errors import Unauthorized
from service.orgs import service as orgs_service
from service.web import PageStaff, check_csrf, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False)


def safe_next(target: str) -> str:
    """Only local admin paths: never redirect a login to another site."""
    return target if target.startswith("/admin") and "//" not in target else "/admin"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/admin") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), email="", error=None)


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/admin",
) -> Response:
    try:
        staff = orgs_service.authenticate(session, email=email, password=password)
    except Unauthorized:
        return render(
            request,
            "login.html",
            status_code=401,
            next=safe_next(next),
            email=email,
            error="邮箱或密码不正确",
        )
    response = redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        runtime.signer.staff_token(org_id=staff.org_id, staff_id=staff.id),
        max_age=runtime.settings.staff_token_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.base_url.startswith("https://"),
        path="/",
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
