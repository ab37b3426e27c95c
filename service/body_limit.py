"""Request bodies bounded however they are framed, and read within a deadline.

A pure ASGI middleware: it counts the bytes the server hands over (Content-Length or chunked
alike) and answers 413 the moment a route's limit is passed, or 408 when the body arrives too
slowly, with `Connection: close` so the server stops reading the rest. The limit is looked up
by method and path, before any route runs or any body is parsed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import printable

MB = 1024 * 1024


@dataclass(frozen=True)
class BodyRule:
    """At most `limit` bytes; `code` names the refusal for clients."""

    limit: int
    code: str = "payload_too_large"


@dataclass(frozen=True)
class BodyDeadline:
    """A body must arrive within `seconds`, plus one second per `min_rate` bytes received
    (Apache mod_reqtimeout's rule): a 1 byte/s client is cut off, a slow phone uploading a
    large file is not."""

    seconds: float
    min_rate: int

    def allows(self, *, elapsed: float, received: int) -> float:
        """Seconds left; zero or less when the body is late."""
        return self.seconds + received / self.min_rate - elapsed


class _Refused(Exception):
    """Raised into the app's `receive` after the refusal was sent; the app's own reaction
    (FastAPI turns it into a 400) is discarded."""


class BodyLimit:
    """Bounds every request body by its route's rule (`rules[(method, path)]`, else `default`)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: Mapping[tuple[str, str], BodyRule],
        default: BodyRule,
        deadline: BodyDeadline,
    ) -> None:
        self.app = app
        self.rules = dict(rules)
        self.default = default
        self.deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self.rules.get((scope["method"], scope["path"]), self.default)
        await _BodyReader(rule, self.deadline, scope, receive, send).run(self.app)


class _BodyReader:
    """One request's count of received bytes and what has been sent back."""

    def __init__(
        self, rule: BodyRule, deadline: BodyDeadline, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self.rule, self.deadline, self.scope = rule, deadline, scope
        self._receive, self._send = receive, send
        self.started = time.monotonic()
        self.received = 0
        self.declared = _declared_length(scope)
        self.body_done = not _has_body(scope)
        self.response_started = False
        self.refused = False

    async def run(self, app: ASGIApp) -> None:
        if self.declared is not None and self.declared > self.rule.limit:
            await self.refuse(413)  # by its declared length, before reading a byte
            return
        try:
            await app(self.scope, self.receive, self.send)
        except Exception:
            if not self.refused:
                raise

    async def receive(self) -> Message:
        if self.refused:
            raise _Refused
        if self.body_done:
            return await self._receive()
        left = self.deadline.allows(elapsed=time.monotonic() - self.started, received=self.received)
        message: Message | None = None
        with anyio.move_on_after(max(0.0, left)):
            message = await self._receive()
        if message is None:
            await self.refuse(408)
            raise _Refused
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.body_done = not message.get("more_body", False)
            if self.received > self.rule.limit:
                await self.refuse(413)
                raise _Refused
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
            if not self.body_done:
                # Answered before the body was read (a 401, say): without this the server
                # would go on reading, and discarding, the rest of it.
                message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
        await self._send(message)

    async def refuse(self, status: int) -> None:
        """Answer `status` (413 or 408) unless the app already began its response."""
        self.refused = True
        if self.response_started:
            return
        body = json.dumps(_refusal(status, self.rule), ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


def _refusal(status: int, rule: BodyRule) -> dict[str, str]:
    if status == 408:
        return {
            "error": "request_timeout",
            "message": "上传太慢，连接已断开，请在网络良好时重试。",
            "detail": "the request body arrived too slowly",
        }
    size = f"{rule.limit / MB:.0f} MB" if rule.limit >= MB else f"{rule.limit // 1024} KB"
    return {
        "error": rule.code,
        "message": f"提交的内容超过 {size} 上限，请缩小后重试。",
        "detail": printable(f"the request body is larger than {size}"),
    }


def _declared_length(scope: Scope) -> int | None:
    """Content-Length as a number; None when absent or not plain ASCII digits."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _has_body(scope: Scope) -> bool:
    """HTTP/1.1: a body follows when a non-zero length or any transfer coding is announced."""
    return any(
        name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0")
        for name, value in scope.get("headers", ())
    )
