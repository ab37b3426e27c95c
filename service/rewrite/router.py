"""Rewrite suggestions (editors) and the organisation's provider (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from service.access import OrgAdmin, PostEditor
from service.deps import RuntimeDep, SessionDep
from service.rewrite import service
from service.rewrite.provider import ProviderError
from service.rewrite.schemas import ProviderRead, ProviderUpdate, SuggestionRequest, SuggestionsRead
from service.routing import CredentialsFirst

router = APIRouter(tags=["rewrite"], route_class=CredentialsFirst)
# What a failed provider call answers: never a 500; the editor reads `message`.
PROVIDER_STATUS = {"timeout": 504, "rate_limited": 503}
PROVIDER_ERRORS: dict[int | str, dict[str, Any]] = {
    status_code: {"description": "The rewrite provider failed; `message` says why, in Chinese"}
    for status_code in (502, 503, 504)
}


def provider_error_response(exc: ProviderError) -> JSONResponse:
    return JSONResponse(
        {
            "error": f"provider_{exc.code}",
            "message": exc.message,
            "detail": f"the rewrite provider failed ({exc.code}"
            + (f", HTTP {exc.status})" if exc.status else ")"),
        },
        status_code=PROVIDER_STATUS.get(exc.code, 502),
    )


@router.post("/api/rewrite/suggestions", responses=PROVIDER_ERRORS, response_model=SuggestionsRead)
def suggestions(
    data: SuggestionRequest, editor: PostEditor, session: SessionDep, runtime: RuntimeDep
) -> SuggestionsRead | JSONResponse:
    """改写建议 for one sentence: the provider's (gated) or, without one, the local engine's."""
    try:
        return service.suggest(session, runtime.settings, org_id=editor.org_id, request=data)
    except ProviderError as exc:
        return provider_error_response(exc)


@router.get("/api/org/rewrite-provider")
def read_provider(admin: OrgAdmin, session: SessionDep) -> ProviderRead:
    return service.read(session, org_id=admin.org_id)


@router.put("/api/org/rewrite-provider")
def set_provider(
    data: ProviderUpdate, admin: OrgAdmin, session: SessionDep, runtime: RuntimeDep
) -> ProviderRead:
    """Any OpenAI Chat Completions endpoint: `base_url` (e.g. https://api.deepseek.com/v1),
    `model`, `api_key` (stored encrypted; omit it to keep the stored one)."""
    return service.update(session, runtime.settings, org_id=admin.org_id, data=data)


@router.delete("/api/org/rewrite-provider", status_code=status.HTTP_200_OK)
def remove_provider(admin: OrgAdmin, session: SessionDep) -> ProviderRead:
    return service.remove(session, org_id=admin.org_id)
