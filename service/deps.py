"""Dependencies as `Annotated` aliases: a route's signature says who may call it.

Shared plumbing: the runtime, the unit of work and the staff login (service.auth, the lowest
domain). A domain's own "load or 404" dependencies live in its `deps.py` (service/posts/deps.py,
service/reps/deps.py, service/plans/deps.py), so using these imports no other domain.
Who may call what (role policies): service/access.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service import logs
from service.auth import service as auth_service
from service.db import unit_of_work
from service.errors import Unauthorized
from service.models import Staff, StaffSession
from service.runtime import Runtime

SESSION_COOKIE = "mc_session"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with unit_of_work(runtime.sessions) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is a 500, not a lie.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def session_token(request: Request) -> str | None:
    """Bearer header for API clients; the login cookie for pages and safe (GET) API calls."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.method in {"GET", "HEAD"} or request.url.path.startswith("/admin"):
        return request.cookies.get(SESSION_COOKIE)
    return None


def get_current_staff(request: Request, runtime: RuntimeDep, session: SessionDep) -> Staff:
    """The staff member of a live session (the login row is kept on `request.state.login`)."""
    token = session_token(request)
    if not token:
        raise Unauthorized(
            "log in first: send 'Authorization: Bearer <token>'", message="请先登录。"
        )
    ttl = auth_service.lifetime(runtime.settings)
    staff, request.state.login = auth_service.resolve(session, runtime.signer, token, ttl=ttl)
    logs.bind(org_id=staff.org_id)
    return staff


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]


def get_current_login(request: Request, staff: CurrentStaff) -> StaffSession:
    login: StaffSession = request.state.login
    return login


CurrentLogin = Annotated[StaffSession, Depends(get_current_login)]
