"""Admins' page for reps: add one, import a CSV, deactivate, rotate a link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from service.access import PageRepManager
from service.deps import RuntimeDep, SessionDep
from service.errors import AppError, FormRejected, NotFound
from service.models import Staff
from service.reps import service
from service.reps.deps import RepDep
from service.reps.router import MAX_CSV_BYTES
from service.reps.schemas import RepCreate, RepUpdate
from service.routing import CredentialsFirst
from service.text import parse
from service.uploads import read_limited
from service.web import CsrfForm, redirect, render

router = APIRouter(prefix="/admin/reps", include_in_schema=False, route_class=CredentialsFirst)


def reps_page(
    request: Request,
    staff: Staff,
    session: SessionDep,
    runtime: RuntimeDep,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    reps = [service.to_read(runtime, rep) for rep in service.list_(session, org_id=staff.org_id)]
    return render(
        request, "reps.html", status_code=status_code, reps=reps, message=message, error=error
    )


@router.get("", response_class=HTMLResponse)
def list_reps(
    request: Request, staff: PageRepManager, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    return reps_page(request, staff, session, runtime)


@router.post("", response_class=HTMLResponse, response_model=None)
def add_rep(
    request: Request,
    _csrf: CsrfForm,
    staff: PageRepManager,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form()],
    team: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = parse(RepCreate, {"name": name, "team": team, "phone": phone})
        service.create(session, org_id=staff.org_id, data=data)
    except AppError as exc:
        error, status_code = exc.message or exc.detail, exc.status_code
        raise FormRejected(
            exc,
            lambda session, staff: reps_page(
                request, staff, session, runtime, error=error, status_code=status_code
            ),
        ) from exc
    return redirect("/admin/reps")


@router.post("/import", response_class=HTMLResponse, response_model=None)
def import_reps(
    request: Request,
    _csrf: CsrfForm,
    staff: PageRepManager,
    session: SessionDep,
    runtime: RuntimeDep,
    file: UploadFile,
) -> Response:
    try:
        reps, created = service.import_csv(
            session, org_id=staff.org_id, data=read_limited(file, MAX_CSV_BYTES, what="the CSV")
        )
    except AppError as exc:
        error, status_code = exc.detail, exc.status_code
        raise FormRejected(
            exc,
            lambda session, staff: reps_page(
                request, staff, session, runtime, error=error, status_code=status_code
            ),
        ) from exc
    message = f"已导入 {len(reps)} 位销售（新增 {created}，更新 {len(reps) - created}）"
    return reps_page(request, staff, session, runtime, message=message)


@router.post("/{rep_id}/{action}", response_model=None)
def change_rep(
    action: str,
    _csrf: CsrfForm,
    rep: RepDep,
    staff: PageRepManager,
    session: SessionDep,
) -> Response:
    if action == "rotate-link":
        service.rotate_link(session, rep)
    elif action in {"activate", "deactivate"}:
        service.update(session, rep, RepUpdate(active=action == "activate"))
    else:
        raise NotFound(f"unknown action {action!r}")
    return redirect("/admin/reps")
