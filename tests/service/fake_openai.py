"""A local stand-in for an OpenAI-compatible provider: a real HTTP server on 127.0.0.1
speaking the Chat Completions wire format (`POST /v1/chat/completions`, the JSON request and
response shapes, OpenAI-style error bodies), scripted per test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


def completion(content: str, *, model: str = "fake-model") -> dict[str, Any]:
    """A chat.completion object as the API returns it."""
    return {
        "id": "chatcmpl-fake123",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59},
    }


def error(status: int, message: str, kind: str, code: str | None) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": kind, "param": None, "code": code}}


UNAUTHORIZED = error(
    401, "Incorrect API key provided: sk-wr****ong.", "invalid_request_error", "invalid_api_key"
)
RATE_LIMITED = error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded")
SERVER_ERROR = error(
    500, "The server had an error while processing your request.", "server_error", None
)


@dataclass
class FakeProvider:
    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    reply: Reply = lambda _body: (200, completion('{"rewrites": []}'))
    delay_seconds: float = 0.0

    def answer(self, content: str) -> None:
        self.reply = lambda _body: (200, completion(content))

    def fail(self, status_and_body: tuple[int, dict[str, Any]]) -> None:
        self.reply = lambda _body: status_and_body


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    state = FakeProvider(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            if self.path != "/v1/chat/completions":
                status, payload = error(404, "Not found", "invalid_request_error", None)
            else:
                if state.delay_seconds:
                    time.sleep(state.delay_seconds)
                status, payload = state.reply(body)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
