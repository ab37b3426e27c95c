"""Editors' pages: the post list, the upload form, the side-by-side preview, publishing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from service import engines
from service.copies import service as copies_service
from service.copies.router import staff_image_url
from service.deps import PostDep, RuntimeDep, SessionDep
from service.errors import AppError, Forbidden, Unprocessable
from service.models import Role
from service.plans import repository as plans_repository
from service.plans import service as plans_service
from service.plans.schemas import PublishRequest
from service.posts import repository, service
from service.posts.router import read_uploads
from service.posts.schemas import PostCreate
from service.reps import repository as reps_repository
from service.routing import CredentialsFirst
from service.text import parse
from service.web import PageStaff, check_csrf, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False, route_class=CredentialsFirst)
EDIT_ROLES = {Role.ADMIN, Role.EDITOR}


@router.get("", response_class=HTMLResponse)
def post_list(request: Request, staff: PageStaff, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "posts.html",
        posts=repository.list_(session, org_id=staff.org_id),
        can_edit=staff.role in EDIT_ROLES,
    )


@router.get("/posts/new", response_class=HTMLResponse)
def new_post(request: Request, staff: PageStaff) -> HTMLResponse:
    empty = {"title": "", "text": "", "protected": "", "article": ""}
    return render(request, "post_new.html", form=empty, error=None)


@router.post("/posts", response_class=HTMLResponse, response_model=None)
def create_post(
    request: Request,
    staff: PageStaff,
    session: SessionDep,
    runtime: RuntimeDep,
    title: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    protected: Annotated[str, Form()] = "",
    article: Annotated[str, Form()] = "",
    images: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> Response:
    check_csrf(request, runtime, csrf)
    if staff.role not in EDIT_ROLES:
        raise Forbidden("only editors and admins may upload posts")
    terms = [term for line in protected.splitlines() for term in line.split("，")]
    try:
        fields = {"title": title, "text": text, "protected": terms, "article": article}
        data = parse(PostCreate, fields, code="invalid_text")
        post = service.create(
            session,
            runtime.storage,
            org_id=staff.org_id,
            author_id=staff.id,
            data=data,
            uploads=read_uploads(images),
        )
    except AppError as exc:
        session.rollback()
        form = {"title": title, "text": text, "protected": protected, "article": article}
        return render(
            request,
            "post_new.html",
            status_code=exc.status_code,
            form=form,
            error=exc.message or exc.detail,
        )
    return redirect(f"/admin/posts/{post.id}")


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def preview(
    request: Request, staff: PageStaff, post: PostDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    reps = reps_repository.list_(
        session, org_id=staff.org_id, active_only=True, limit=runtime.settings.preview_reps
    )
    copies = [
        (
            rep.name,
            copies_service.to_read(
                post,
                copies_service.ensure_copy(session, runtime.storage, post=post, rep=rep),
                staff_image_url,
            ),
        )
        for rep in reps
    ]
    return render(
        request,
        "post_preview.html",
        post=post,
        plan=plans_service.read(session, post),
        teams=sorted(plans_repository.known_teams(session, org_id=staff.org_id) - {""}),
        copies=copies,
        risk=engines.fold_risk_of(post.text),
        can_edit=staff.role in EDIT_ROLES,
        master_urls=[f"/api/posts/{post.id}/images/{image.position}" for image in post.images],
    )


@router.post("/posts/{post_id}/publish", response_model=None)
def publish(
    request: Request,
    staff: PageStaff,
    post: PostDep,
    session: SessionDep,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
    window_start: Annotated[str, Form()] = "",
    window_end: Annotated[str, Form()] = "",
    quiet_start: Annotated[str, Form()] = "",
    quiet_end: Annotated[str, Form()] = "",
    teams: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The preview page's publish form: an optional window (local time), quiet hours, teams."""
    check_csrf(request, runtime, csrf)
    if staff.role not in EDIT_ROLES:
        raise Forbidden("only editors and admins may publish")
    try:
        plan = PublishRequest.model_validate(
            {
                "window_start": window_start or None,
                "window_end": window_end or None,
                "quiet_hours": [quiet_start, quiet_end] if quiet_start and quiet_end else None,
                "teams": [team for team in teams or [] if team] or None,
            }
        )
    except ValidationError as exc:
        raise Unprocessable(
            "; ".join(str(error["msg"]) for error in exc.errors()), code="bad_window"
        ) from None
    plans_service.publish(session, runtime.settings, post, plan)
    return redirect(f"/admin/posts/{post.id}")
