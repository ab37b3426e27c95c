"""Expected failures as `AppError`s, rendered by one handler as `{"error", "detail"}`.

    AppError (500 unless overridden)
    ├── BadRequest        400
    ├── Unauthorized      401
    ├── LoginRequired     401 (a page's: browsers get the login form instead of JSON)
    ├── Forbidden         403
    ├── NotFound          404
    ├── Conflict          409
    ├── Gone              410
    ├── PayloadTooLarge   413
    ├── Unprocessable     422
    │   └── DuplicateField   a login body naming a field twice
    ├── TooManyRequests   429
    │   ├── TooManyLogins    the login throttle (Retry-After)
    │   └── TooManyOpens     the landing page's per-address limit
    ├── ServiceUnavailable 503
    └── FormRejected      a page form's refusal, carrying the page to show again
VariationError (bad input the engines refused) also becomes 422 with its own message, and so
do inputs that only fail deep inside a library: a value the database cannot store
(`DataError`: NUL characters, out-of-range numbers), text with lone surrogates
(`UnicodeEncodeError`), JSON nested past the parser's recursion limit (`RecursionError`) and
integers beyond 64 bits on SQLite (`OverflowError`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.headers import security_headers
from variation import VariationError

if TYPE_CHECKING:
    from fastapi.responses import Response
    from sqlalchemy.orm import Session

    from service.models import Staff

log = logging.getLogger(__name__)


class AppError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.message = message  # for people, in Chinese; `detail` may stay English
        self.headers = headers or {}


class BadRequest(AppError):
    status_code, code = 400, "bad_request"


class Unauthorized(AppError):
    status_code, code = 401, "not_authenticated"


class Forbidden(AppError):
    status_code, code = 403, "forbidden"


class NotFound(AppError):
    status_code, code = 404, "not_found"


class Conflict(AppError):
    status_code, code = 409, "conflict"


class Gone(AppError):
    status_code, code = 410, "gone"


class PayloadTooLarge(AppError):
    status_code, code = 413, "payload_too_large"


class Unprocessable(AppError):
    status_code, code = 422, "invalid_input"


class ServiceUnavailable(AppError):
    status_code, code = 503, "unavailable"


class LoginRequired(AppError):
    """A page's Unauthorized: browsers are sent to the login form (service.web)."""

    status_code, code = 401, "login_required"


class DuplicateField(Unprocessable):
    code = "duplicate_field"


class TooManyRequests(AppError):
    status_code, code = 429, "too_many_requests"


class TooManyLogins(TooManyRequests):
    code = "too_many_logins"


class TooManyOpens(TooManyRequests):
    code = "too_many_opens"


class FormRejected(AppError):
    """A form's input was refused (`error`). Raised, not returned: the request's unit of work
    then rolls back whatever the form had changed, and service.web renders the form's page
    again (`page`, with the error) from a fresh session and the staff member read anew."""

    def __init__(self, error: AppError, page: Callable[[Session, Staff], Response]) -> None:
        super().__init__(error.detail, code=error.code, message=error.message)
        self.status_code = error.status_code
        self.page = page


class ErrorRead(BaseModel):
    """Every error's body: a stable code for programs, a sentence for developers and, where
    given, one in Chinese for people."""

    error: str
    detail: str
    message: str | None = None  # Chinese, where the error has one


# Declared on every route, so the OpenAPI spec says what clients really receive.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorRead, "description": description}
    for status, description in [
        (400, "Bad request"),
        (401, "Not logged in, or the token is not valid"),
        (403, "Not allowed for this role, or the CSRF token is missing"),
        (404, "Not found in the caller's organisation"),
        (409, "Conflicts with what exists"),
        (410, "A link that was replaced"),
        (413, "Too large"),
        (422, "Invalid input"),
        (429, "Too many requests"),
        (503, "Database not available"),
    ]
}


def error_response(
    status_code: int,
    code: str,
    detail: str,
    *,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    headers = ({"WWW-Authenticate": "Bearer"} if status_code == 401 else {}) | (headers or {})
    body = {"error": code, "detail": printable(detail)}
    if message:
        body["message"] = printable(message)
    return JSONResponse(body, status_code=status_code, headers=headers)


def printable(text: str) -> str:
    """`text` encodable as UTF-8: a detail quoting a lone surrogate the client sent would
    otherwise fail to serialise and turn a 422 into a 500."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def app_error_response(exc: AppError) -> JSONResponse:
    return error_response(
        exc.status_code, exc.code, exc.detail, message=exc.message, headers=exc.headers
    )


async def _variation_error(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, "invalid_input", str(exc))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, (RequestValidationError, ValidationError))
    errors = exc.errors()
    code = "invalid_request" if isinstance(exc, RequestValidationError) else "invalid_input"
    return error_response(
        422, code, "; ".join(_describe(e) for e in errors), message=chinese_message(errors)
    )


def chinese_message(errors: Sequence[Any]) -> str:
    """The Chinese messages of service.text's refusals, or one general sentence."""
    ours = [_describe(e) for e in errors if isinstance(e, dict) and e.get("type", "") in OURS]
    return "；".join(ours) or "请求内容不正确，请检查后重试。"


OURS = frozenset({"invalid_text", "invalid_email"})  # service.text's error types


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "not_found" if exc.status_code == 404 else "http_error"
    return error_response(exc.status_code, code, str(exc.detail))


async def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DataError)
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "invalid value"
    return error_response(422, "invalid_input", f"a value cannot be stored: {reason}")


async def _unencodable(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(
        422, "invalid_input", "the text contains characters that are not valid Unicode"
    )


async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
    # SQLite's driver raises this for an integer beyond 64 bits (an id in a path, say);
    # PostgreSQL's shows up as DataError above.
    return error_response(422, "invalid_input", "a number is out of range")


async def _too_deep(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, "invalid_input", "the input is nested too deeply")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """The last resort. Starlette answers it from its outermost layer, outside every
    middleware, so the security headers are added here."""
    log.error("unhandled error", exc_info=exc)
    response = error_response(
        500, "internal_error", "something went wrong on our side; it has been logged"
    )
    runtime = getattr(request.app.state, "runtime", None)
    https = runtime is not None and runtime.settings.base_url.startswith("https://")
    response.headers.update(security_headers(request.url.path, https=https))
    return response


def _describe(error: object) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def install_error_handlers(app: FastAPI) -> None:
    """Every error but AppError, which service.web renders (a page for browsers, the JSON
    error for API clients) because only it knows the templates."""
    app.add_exception_handler(VariationError, _variation_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # A model built inside a handler (a form's fields): the same 422, never a 500.
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(UnicodeEncodeError, _unencodable)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)
