"""How uvicorn serves momentcast: the options `momentcast run` and the Docker image share.

uvicorn times out idle keep-alive connections but not a request's headers: a client that
opens a connection and sends half a request line holds it (and its file descriptor) forever.
`IdleDeadlineProtocol` closes a connection whose request headers are not complete within
the same idle timeout (`MOMENTCAST_HTTP_IDLE_TIMEOUT_SECONDS`), counted from the connection's
opening or from the first byte of each later request. Slow bodies are cut off by
service/body_limit.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import click
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service import logs
from service.app import create_app
from service.settings import Settings


class IdleDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's headers.

    The deadline is uvicorn's own `timeout_keep_alive`: it travels in uvicorn's config to
    every worker process, where a separate setting could not."""

    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_deadline is None:
            self._start_header_deadline()

    def on_headers_complete(self) -> None:
        self._cancel_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def _start_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(
            self.timeout_keep_alive, self._headers_too_slow
        )

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's keyword arguments for these settings (besides the app, host and port)."""
    return {
        "http": IdleDeadlineProtocol,
        "timeout_keep_alive": settings.http_idle_timeout_seconds,
        # Requests in flight get the same grace as the workers' tasks (issue 23).
        "timeout_graceful_shutdown": round(settings.shutdown_grace_seconds),
    }


def production_app() -> FastAPI:
    """The app factory each of uvicorn's worker processes calls: logging configured in that
    process (uvicorn spawns its workers, so the parent's configuration does not reach them)."""
    settings = Settings()
    logs.configure(json_lines=settings.log_json_lines, level=settings.log_level)
    return create_app(settings)


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
def main(host: str, port: int, workers: int) -> None:
    """Serve the API as the Docker image does: the app factory in `workers` processes."""
    uvicorn.run(
        "service.serving:production_app",
        factory=True,
        log_config=None,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        **uvicorn_options(Settings()),
    )


if __name__ == "__main__":
    main()
