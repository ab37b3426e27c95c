"""The editor's preview page with its plan card, and the publish form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from service.access import EDIT_POSTS, PagePostEditor, can
from service.deps import RuntimeDep, SessionDep
from service.errors import Unprocessable
from service.plans import preview as preview_service
from service.plans import service as plans_service
from service.plans.schemas import PublishRequest
from service.posts.deps import PostDep
from service.routing import CredentialsFirst
from service.web import CsrfForm, PageStaff, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False, route_class=CredentialsFirst)


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def preview(
    request: Request, staff: PageStaff, post: PostDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    view = preview_service.page(session, runtime, post)
    return render(
        request,
        "post_preview.html",
        post=post,
        plan=view.plan,
        teams=view.teams,
        copies=view.copies,
        risk=view.risk,
        meter=view.preview.diversity,
        can_edit=can(staff, EDIT_POSTS),
        master_urls=view.master_urls,
    )


@router.post("/posts/{post_id}/publish", response_model=None)
def publish(
    _csrf: CsrfForm,
    post: PostDep,
    staff: PagePostEditor,
    session: SessionDep,
    runtime: RuntimeDep,
    window_start: Annotated[str, Form()] = "",
    window_end: Annotated[str, Form()] = "",
    quiet_start: Annotated[str, Form()] = "",
    quiet_end: Annotated[str, Form()] = "",
    teams: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The preview page's publish form: an optional window (local time), quiet hours, teams."""
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
