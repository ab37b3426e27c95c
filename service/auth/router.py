"""Staff login for API clients: e-mail + password (form or JSON) → bearer token; logout, "log
out everywhere" and a password change, each ending sessions on the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from service.auth import login as login_flow
from service.auth import service
from service.auth.login import LoginForm, LoginRequest, read_login_form
from service.auth.schemas import PasswordChange, RevokedRead, StaffRead, TokenRead
from service.deps import CurrentLogin, CurrentStaff, RuntimeDep, SessionDep
from service.routing import CredentialsFirst

router = APIRouter(prefix="/api", tags=["auth"], route_class=CredentialsFirst)
BODY = {"schema": LoginRequest.model_json_schema()}


@router.post(
    "/auth/token",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": BODY, "application/x-www-form-urlencoded": BODY}
        }
    },
)
def issue_token(
    request: Request,
    form: Annotated[LoginForm, Depends(read_login_form)],
    session: SessionDep,
    runtime: RuntimeDep,
) -> TokenRead:
    """JSON or a form (OAuth2 password-style `username` too); `org` only when asked for."""
    throttle = request.app.state.login_throttle
    address = login_flow.client_address(request)
    staff = login_flow.authenticate(session, throttle, form.credentials(), address=address)
    token = service.start(session, runtime.signer, staff, ttl=service.lifetime(runtime.settings))
    return TokenRead(access_token=token, expires_in=runtime.settings.staff_token_ttl_seconds)


@router.post("/auth/logout", status_code=204, response_class=Response)
def logout(login: CurrentLogin) -> Response:
    """End this token's session: it is refused from now on, as bearer and as cookie."""
    service.end(login)
    return Response(status_code=204)


@router.post("/auth/logout-all")
def logout_everywhere(staff: CurrentStaff, session: SessionDep) -> RevokedRead:
    """退出所有设备: end every session of the caller, this one included."""
    return RevokedRead(revoked=service.end_all(session, staff))


@router.get("/me")
def me(staff: CurrentStaff, session: SessionDep) -> StaffRead:
    return StaffRead(
        id=staff.id,
        email=staff.email,
        role=staff.role,
        org_id=staff.org_id,
        org_slug=service.org_slug(session, staff),
        active=staff.active,
    )


@router.post("/me/password", status_code=204, response_class=Response)
def change_password(
    request: Request,
    body: PasswordChange,
    staff: CurrentStaff,
    login: CurrentLogin,
    session: SessionDep,
) -> Response:
    """A new password; every other session of the caller ends (this one stays). Wrong current
    passwords count in the login throttle: a stolen session cannot guess it faster."""
    login_flow.throttled(
        request.app.state.login_throttle,
        email=staff.email,
        address=login_flow.client_address(request),
        attempt=lambda: service.change_password(
            session, staff, current=body.current_password, new=body.new_password
        ),
    )
    service.end_all(session, staff, keep=login)
    return Response(status_code=204)
