"""The worker process's Runtime: built from Settings on first use, after the prefork fork,
so no database connection is shared between processes."""

from __future__ import annotations

import threading

from service.runtime import Runtime
from service.settings import Settings

_lock = threading.Lock()
_runtime: Runtime | None = None


def current() -> Runtime:
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = Runtime.build(Settings())
        return _runtime


def use_runtime(runtime: Runtime | None) -> None:
    """Point the tasks at `runtime` (a test's); None: build from Settings on next use."""
    global _runtime
    with _lock:
        _runtime = runtime
