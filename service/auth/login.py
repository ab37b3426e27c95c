"""One reading of a login body and one throttled check, shared by the API and the form.

The throttle is keyed on exactly what the password is checked against: the body is parsed once
here, a field sent twice (`email=a&email=b`, a JSON object naming `email` twice, `email` next to
a different `username`) is refused before anything is counted or checked, and an e-mail that
cannot be read is a 422, never a shared "unknown" bucket.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from service.auth import service as auth_service
from service.errors import (
    DuplicateField,
    Forbidden,
    TooManyLogins,
    Unauthorized,
    Unprocessable,
)
from service.models import Staff
from service.security import LoginThrottle
from service.text import Email, SingleLine, parse

Checked = TypeVar("Checked")
FIELDS = ("email", "username", "password", "org", "next", "csrf")
TOO_MANY = "登录失败次数过多，请稍后再试。"


class LoginRequest(BaseModel):
    email: Email = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)
    # Only needed when one e-mail has accounts, with the same password, in two organisations.
    org: SingleLine | None = Field(default=None, max_length=64)


@dataclass(frozen=True)
class LoginForm:
    """The login body's fields, each present at most once (form pages add `next`, `csrf`)."""

    fields: dict[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def credentials(self) -> LoginRequest:
        email = self.fields.get("email", self.fields.get("username"))
        data = {"email": email, "password": self.fields.get("password"), "org": self.org()}
        return parse(LoginRequest, data, code="invalid_request")

    def org(self) -> str | None:
        return self.fields.get("org") or None


async def read_login_form(request: Request) -> LoginForm:
    """The body as JSON or as a form (urlencoded or multipart), parsed once."""
    if request.headers.get("content-type", "").startswith("application/json"):
        fields = _json_fields(await request.body())
    else:
        form = await request.form()
        fields = {}
        for name in FIELDS:
            values = form.getlist(name)
            if len(values) > 1:
                raise _twice(name)
            if values:
                fields[name] = values[0] if isinstance(values[0], str) else ""
    if "email" in fields and "username" in fields and fields["email"] != fields["username"]:
        raise _twice("email")  # two names for the account: which one would be checked?
    return LoginForm(fields)


def _json_fields(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body, object_pairs_hook=_refuse_repeats)
    except (ValueError, RecursionError):
        raise Unprocessable(
            "the body is not a JSON object", code="invalid_request", message="请求内容不是 JSON。"
        ) from None
    if not isinstance(data, dict):
        raise Unprocessable(
            "the body is not a JSON object", code="invalid_request", message="请求内容不是 JSON。"
        )
    return {k: v if isinstance(v, str) else _unreadable(k) for k, v in data.items() if k in FIELDS}


def _refuse_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _twice(key)
        seen[key] = value
    return seen


def _unreadable(name: str) -> str:
    raise Unprocessable(
        f"'{name}' must be a string", code="invalid_request", message=f"{name} 必须是文本。"
    )


def _twice(name: str) -> DuplicateField:
    return DuplicateField(
        f"'{name}' was sent more than once", message=f"字段 {name} 只能填写一次。"
    )


def authenticate(
    session: Session, throttle: LoginThrottle, credentials: LoginRequest, *, address: str
) -> Staff:
    """The staff member, if the throttle lets this (address, account) try and the password
    matches; each failure is counted against exactly the account that was checked."""
    return throttled(
        throttle,
        email=credentials.email,
        address=address,
        attempt=lambda: auth_service.authenticate(
            session, email=credentials.email, password=credentials.password, org=credentials.org
        ),
    )


def throttled(
    throttle: LoginThrottle, *, email: str, address: str, attempt: Callable[[], Checked]
) -> Checked:
    """`attempt()` (a password check) unless the throttle says wait; its Unauthorized or
    Forbidden counts as a failure of (address, account), its success clears that pair."""
    check_allowed(throttle, email=email, address=address)
    try:
        result = attempt()
    except (Unauthorized, Forbidden):
        throttle.failed(email=email, address=address)
        raise
    throttle.succeeded(email=email, address=address)
    return result


def check_allowed(throttle: LoginThrottle, *, email: str, address: str) -> None:
    """TooManyLogins (429 with Retry-After) when this pair, address or account must wait."""
    wait = throttle.retry_after(email=email, address=address)
    if wait:
        raise TooManyLogins(
            f"too many failed logins; try again in {wait // 60 + 1} minutes",
            message=TOO_MANY,
            headers={"Retry-After": str(wait)},
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
