"""Logging, configured once per process: `configure(settings)`.

Every line carries the ids of the work it belongs to — `request_id`, `org_id`, `task_id` —
so one request or one job can be followed through the API, the workers and the jobs. In
production each line is one JSON object (for a log collector); elsewhere it is a readable
line. The ids live in one context variable holding a dict: the HTTP middleware and Celery's
task signals put a fresh dict there, and `bind()` adds to it. A dict, not one variable per
id, because FastAPI runs sync dependencies in a copy of the request's context: a variable
set there would be lost, while a key added to the shared dict is seen by the handler too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

IDS = ("request_id", "org_id", "task_id")
_ids: ContextVar[dict[str, str] | None] = ContextVar("momentcast_log_ids", default=None)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", *IDS}
_OWN_LOGGERS = ("momentcast", "service", "scheduler")
log = logging.getLogger("momentcast")


def bind(**ids: object) -> None:
    """Add ids (e.g. `org_id=3`) to every later line of the current request or task."""
    current = _ids.get()
    if current is None:
        current = {}
        _ids.set(current)
    current.update({name: str(value) for name, value in ids.items() if value is not None})


def clear() -> None:
    """Forget the ids (a worker process between two tasks)."""
    _ids.set(None)


@contextmanager
def bound(**ids: object) -> Iterator[None]:
    """A fresh set of ids for one piece of work (a request, a task, one organisation's turn
    in a periodic job), restored afterwards."""
    outer = _ids.get()
    token = _ids.set({**(outer or {}), **{k: str(v) for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _ids.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = _ids.get() or {}
        for name in IDS:
            if not hasattr(record, name):
                setattr(record, name, current.get(name, ""))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {name: getattr(record, name) for name in IDS if getattr(record, name, "")}
        line |= {
            k: v for k, v in record.__dict__.items() if k not in _STANDARD and k != "color_message"
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class ReadableFormatter(logging.Formatter):
    """`12:00:01 INFO  momentcast.plans [req=… org=3] message key=value`."""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(
            f"{name.split('_')[0]}={getattr(record, name)}"
            for name in IDS
            if getattr(record, name, "")
        )
        # Only our own loggers' extra fields: libraries put whole payloads there (Celery's
        # `data`, uvicorn's `color_message`), which JSON keeps but a reader does not want.
        ours = record.name.startswith(_OWN_LOGGERS)
        extra = " ".join(
            f"{k}={v}" for k, v in record.__dict__.items() if ours and k not in _STANDARD
        )
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        text = f"{stamp} {record.levelname:<5} {record.name}"
        text += f" [{ids}]" if ids else ""
        text += f" {record.getMessage()}" + (f" {extra}" if extra else "")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure(*, json_lines: bool, level: str = "INFO") -> None:
    """Send every logger's lines to stderr in one format. Idempotent: a second call (the
    worker's signal after the CLI's) replaces the handler instead of adding one."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else ReadableFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_momentcast", False)]:
        root.removeHandler(old)
    handler._momentcast = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries that talk too much at INFO, and uvicorn's access log (RequestIds logs one
    # line per request with its id instead).
    for name, floor in (
        ("jieba", "WARNING"),
        ("uvicorn.access", "WARNING"),
        ("alembic", "WARNING"),
    ):
        logging.getLogger(name).setLevel(floor)
    for name in ("uvicorn", "uvicorn.error", "celery"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when it is a sane token (a proxy's id keeps its trail),
    else a new one."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            presented = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(presented):
                return presented
    return uuid.uuid4().hex[:16]


class RequestIds:
    """Pure ASGI middleware: a request id for every HTTP request, bound for its log lines,
    echoed as X-Request-ID, and one line per request with its status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        with bound(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info(
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={"ms": round((time.perf_counter() - started) * 1000, 1)},
                )
