"""The rep's page at the personal link: newest posts first, each with the rep's own copy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.deps import RuntimeDep, SessionDep
from service.rephome import service
from service.reps.deps import RepFromToken
from service.routing import CredentialsFirst
from service.web import render

router = APIRouter(include_in_schema=False, route_class=CredentialsFirst)


@router.get("/r/{token}", response_class=HTMLResponse)
def rep_page(
    request: Request,
    token: str,
    rep: RepFromToken,
    session: SessionDep,
    runtime: RuntimeDep,
    page: int = 1,
) -> HTMLResponse:
    view = service.home(session, runtime, rep, page=max(page, 1))
    return render(
        request,
        "rep.html",
        rep=rep,
        token=token,
        items=view.items,
        readers=view.readers,
        talk_to=view.talk_to,
        alerts=view.alerts,
        org_name=view.org_name,
        older=view.older,
    )
