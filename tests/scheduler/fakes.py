"""Local stand-ins for servers outside this machine, speaking their real wire format:
a WeCom group robot (`/cgi-bin/webhook/send?key=...`), a webhook receiver that checks
momentcast's HMAC signature, and a real SMTP server (aiosmtpd) that keeps what it got."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from service.notifications import sign_webhook
from tests.live import free_port

WECOM_TEXT_LIMIT = 2048
WECOM_MARKDOWN_LIMIT = 4096


@dataclass
class FakeWeCom:
    """Answers like the robot: errcode 0, 93000 for a bad key, 40008/44004 for a malformed
    message, 45009 past 20 messages a minute."""

    key: str = "robot-key"
    per_minute: int = 20
    messages: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[int] = field(default_factory=list)
    _times: list[float] = field(default_factory=list)

    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        url = urlsplit(path)
        if url.path != "/cgi-bin/webhook/send":
            return 404, {"errcode": 404, "errmsg": "not found"}
        if parse_qs(url.query).get("key") != [self.key]:
            return self._refuse(93000, "invalid webhook url")
        try:
            message = json.loads(body)
        except ValueError:
            return self._refuse(40008, "invalid message type")
        errcode = _check_robot_message(message)
        if errcode:
            return self._refuse(errcode, "invalid message")
        now = time.monotonic()
        self._times = [t for t in self._times if now - t < 60]
        if len(self._times) >= self.per_minute:
            return self._refuse(45009, "api freq out of limit")
        self._times.append(now)
        self.messages.append(message)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _refuse(self, errcode: int, errmsg: str) -> tuple[int, dict[str, Any]]:
        self.refusals.append(errcode)
        return 200, {"errcode": errcode, "errmsg": errmsg}  # the robot answers 200 regardless


def _check_robot_message(message: Any) -> int:
    if not isinstance(message, dict) or message.get("msgtype") not in {"text", "markdown"}:
        return 40008
    part = message.get(message["msgtype"])
    if not isinstance(part, dict) or not isinstance(part.get("content"), str):
        return 44004
    limit = WECOM_TEXT_LIMIT if message["msgtype"] == "text" else WECOM_MARKDOWN_LIMIT
    if not part["content"] or len(part["content"].encode()) > limit:
        return 44004
    for name in ("mentioned_list", "mentioned_mobile_list"):
        value = part.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return 40058
    return 0


@dataclass
class FakeWebhook:
    """A receiver that checks the signature; `mode` makes it fail: "500" or "slow"."""

    secret: str = "webhook-secret"
    mode: str = "ok"
    delay: float = 3.0
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    calls: int = 0

    def handle(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        self.calls += 1
        timestamp = headers.get("X-Momentcast-Timestamp", "")
        expected = sign_webhook(self.secret, timestamp, body)
        if headers.get("X-Momentcast-Signature") != expected:
            self.bad_signatures += 1
            return 401, {"error": "bad signature"}
        if self.mode == "500":
            return 500, {"error": "down for maintenance"}
        if self.mode == "slow":
            time.sleep(self.delay)
        self.received.append(json.loads(body))
        return 200, {"ok": True}


@contextmanager
def http_server(fake: FakeWeCom | FakeWebhook) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if isinstance(fake, FakeWeCom):
                status, answer = fake.handle(self.path, body)
            else:
                status, answer = fake.handle(self.headers, body)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[str, list[EmailMessage]]]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", inbox.messages
    finally:
        controller.stop()
