"""Live servers for tests that need a real socket: a free port, and the app under uvicorn in a
thread (browser tests drive it with chromium)."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from service.app import create_app
from service.runtime import Runtime
from service.settings import Settings


def screenshots_dir() -> Path:
    """Where the browser tests save their screenshots: docs/screenshots/ (linked from the
    README) when UPDATE_SCREENSHOTS=1, else a scratch folder, so a test run leaves the
    checkout clean."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[1] / "docs" / "screenshots"
    return Path(tempfile.gettempdir()) / "momentcast-screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(data_dir: Path, **settings: Any) -> Iterator[tuple[str, Runtime]]:
    """(base URL, runtime) of the app served on a free port, on a fresh SQLite database under
    `data_dir`; `settings` override the test defaults."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runtime = Runtime.build(
        Settings(**{"env": "test", "data_dir": data_dir, "base_url": base, **settings})
    )
    runtime.migrate()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield base, runtime
    finally:
        server.should_exit = True
        thread.join(timeout=10)
