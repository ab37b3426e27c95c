"""Routes that check the caller's credentials before their body is read.

FastAPI reads and parses a request's body (spooling an upload to disk) before it solves any
dependency, so a route guarded by `CurrentStaff` would otherwise take 95 MB from anyone
before answering 401. `CredentialsFirst` runs the same credential dependency first; its
refusal is rendered by the usual handlers (JSON 401, the login redirect for pages, the rep
link's 404/410) and the body is never read (service/body_limit.py then closes the connection).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from service.db import unit_of_work
from service.deps import get_current_staff
from service.runtime import Runtime
from service.web import get_page_staff

Check = Callable[[Request, Runtime], object]


def _staff(request: Request, runtime: Runtime) -> object:
    with unit_of_work(runtime.sessions) as session:
        return get_current_staff(request, runtime, session)


def _page_staff(request: Request, runtime: Runtime) -> object:
    with unit_of_work(runtime.sessions) as session:
        return get_page_staff(request, runtime, session)


# Page logins before API logins: a page's refusal is the redirect to the login form. Domains add
# their own credentials (service/reps/deps.py: the personal link) with `register_check`.
CHECKS: list[tuple[Callable[..., Any], Check]] = [
    (get_page_staff, _page_staff),
    (get_current_staff, _staff),
]


def register_check(dependency: Callable[..., Any], check: Check) -> None:
    """Routes depending on `dependency` run `check` before their body is read."""
    CHECKS.append((dependency, check))


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def credential_check(dependant: Dependant) -> Check | None:
    """The check a route's dependencies demand, or None for a public route."""
    calls = set(_calls(dependant))
    return next((check for call, check in CHECKS if call in calls), None)


class CredentialsFirst(APIRoute):
    """An APIRoute whose credentials are checked before its body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        check = credential_check(self.dependant) if self.body_field is not None else None
        if check is None:
            return handler

        async def checked(request: Request) -> Response:
            await run_in_threadpool(check, request, request.app.state.runtime)
            return await handler(request)

        return checked
