"""The admin's settings page (brand voice, rewrite provider) and the JSON calls the post
form's alternatives editor makes with the login cookie (CSRF token in `X-CSRF-Token`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from service.access import PageOrgAdmin, PagePostEditor
from service.deps import RuntimeDep, SessionDep
from service.errors import AppError, FormRejected, NotFound
from service.orgs import service as orgs_service
from service.orgs.schemas import OrgVoiceUpdate
from service.orgs.voice import FRAME_LINE_LABELS, PARTICLE_LABELS
from service.posts import versions
from service.posts.schemas import AlternativesRead, SentencesRequest
from service.rewrite import service
from service.rewrite.provider import ProviderError
from service.rewrite.router import PROVIDER_ERRORS, provider_error_response
from service.rewrite.schemas import ProviderUpdate, SuggestionRequest, SuggestionsRead
from service.routing import CredentialsFirst
from service.web import CsrfForm, PageStaff, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False, route_class=CredentialsFirst)


@router.post("/sentences")
def sentences(data: SentencesRequest, _csrf: CsrfForm, staff: PagePostEditor) -> AlternativesRead:
    return versions.preview(
        data.text.replace("\r\n", "\n").strip("\n"), data.protected, data.sentences
    )


@router.post("/rewrite/suggestions", responses=PROVIDER_ERRORS, response_model=SuggestionsRead)
def suggestions(
    data: SuggestionRequest,
    _csrf: CsrfForm,
    staff: PagePostEditor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SuggestionsRead | JSONResponse:
    try:
        return service.suggest(session, runtime.settings, org_id=staff.org_id, request=data)
    except ProviderError as exc:
        return provider_error_response(exc)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, staff: PageOrgAdmin, session: SessionDep, message: str = ""
) -> HTMLResponse:
    return _render(request, staff, session, message=message, error=None)


def _render(
    request: Request,
    staff: PageStaff,
    session: SessionDep,
    *,
    message: str,
    error: str | None,
    status_code: int = 200,
) -> HTMLResponse:
    org = orgs_service.get_org(session, org_id=staff.org_id)
    if org is None:
        raise NotFound("the organisation is gone", code="not_found")
    return render(
        request,
        "settings.html",
        status_code=status_code,
        voice=orgs_service.read_voice(org),
        provider=service.read(session, org_id=staff.org_id),
        frame_labels=FRAME_LINE_LABELS,
        particle_labels=PARTICLE_LABELS,
        saved={
            "voice": "品牌语气已保存",
            "provider": "改写服务已保存",
            "removed": "已改用本地改写",
        }.get(message, ""),
        error=error,
    )


@router.post("/settings/voice", response_model=None)
def save_voice(
    _csrf: CsrfForm,
    staff: PageOrgAdmin,
    session: SessionDep,
    frame_lines: Annotated[str, Form()] = "closer",
    particles: Annotated[str, Form()] = "light",
) -> Response:
    org = orgs_service.get_org(session, org_id=staff.org_id)
    if org is None:
        raise NotFound("the organisation is gone", code="not_found")
    data = OrgVoiceUpdate.model_validate({"frame_lines": frame_lines, "particles": particles})
    orgs_service.update_voice(session, org, data)
    return redirect("/admin/settings?message=voice")


@router.post("/settings/rewrite", response_model=None)
def save_provider(
    request: Request,
    _csrf: CsrfForm,
    staff: PageOrgAdmin,
    session: SessionDep,
    runtime: RuntimeDep,
    base_url: Annotated[str, Form()] = "",
    model: Annotated[str, Form()] = "",
    api_key: Annotated[str, Form()] = "",
    remove: Annotated[str, Form()] = "",
) -> Response:
    if remove:
        service.remove(session, org_id=staff.org_id)
        return redirect("/admin/settings?message=removed")
    try:
        data = ProviderUpdate(base_url=base_url or " ", model=model or " ", api_key=api_key or None)
        service.update(session, runtime.settings, org_id=staff.org_id, data=data)
    except ValidationError:
        return _render(
            request,
            staff,
            session,
            message="",
            error="服务地址、模型名称或密钥过长",
            status_code=422,
        )
    except AppError as exc:
        error, status_code = exc.detail, exc.status_code
        raise FormRejected(
            exc,
            lambda session, staff: _render(
                request, staff, session, message="", error=error, status_code=status_code
            ),
        ) from exc
    return redirect("/admin/settings?message=provider")
