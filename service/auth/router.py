"""Staff login for API clients: e-mail + password (form or JSON) → bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from service.auth.schemas import LoginRequest, StaffRead, TokenRead
from service.deps import CurrentStaff, RuntimeDep, SessionDep
from service.errors import Unprocessable
from service.orgs import repository as orgs_repository
from service.orgs import service as orgs_service
from service.routing import CredentialsFirst

router = APIRouter(prefix="/api", tags=["auth"], route_class=CredentialsFirst)


async def login_request(request: Request) -> LoginRequest:
    """Accept `application/json` and form bodies (OAuth2 password-style `username` too)."""
    fields: dict[str, Any]
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            fields = dict(await request.json())
        except (ValueError, TypeError):
            raise Unprocessable("the body is not a JSON object", code="invalid_request") from None
    else:
        form = await request.form()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
    fields.setdefault("email", fields.pop("username", ""))
    try:
        return LoginRequest.model_validate({k: fields.get(k) for k in ("email", "password")})
    except ValidationError:
        raise Unprocessable("send 'email' and 'password'", code="invalid_request") from None


@router.post(
    "/auth/token",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": LoginRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
            }
        }
    },
)
def issue_token(
    credentials: Annotated[LoginRequest, Depends(login_request)],
    session: SessionDep,
    runtime: RuntimeDep,
) -> TokenRead:
    staff = orgs_service.authenticate(
        session, email=credentials.email, password=credentials.password
    )
    token = runtime.signer.staff_token(org_id=staff.org_id, staff_id=staff.id)
    return TokenRead(access_token=token, expires_in=runtime.settings.staff_token_ttl_seconds)


@router.get("/me")
def me(staff: CurrentStaff, session: SessionDep) -> StaffRead:
    org = orgs_repository.get_org(session, org_id=staff.org_id)
    return StaffRead(
        id=staff.id,
        email=staff.email,
        role=staff.role,
        org_id=staff.org_id,
        org_slug=org.slug if org else "",
    )
