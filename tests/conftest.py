"""Suite-wide test configuration: which tests are slow.

A test is slow when it drives a real browser, kills or restarts real processes, or fuzzes
the whole API. Slow tests still run in CI and in `python3 dev.py test`; the edit-test loop
`python3 dev.py test --fast` leaves them out (`-m "not slow"`). Rather than trusting every
new file to carry the mark, whole files of those kinds are marked here, and any test that
asks for the `browser` fixture is marked wherever it lives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SLOW_FILES = {
    "test_browser.py",  # Chromium against a live server
    "test_faults.py",  # SIGKILLed workers, restarted Redis and PostgreSQL
    "test_worker.py",  # real Celery workers, killed mid fan-out
    "test_run_command.py",  # `momentcast run` as a process tree
    "test_schema_fuzz.py",  # schemathesis over every route
    "test_load.py",  # the load benchmark's own checks
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        uses_browser = "browser" in getattr(item, "fixturenames", ())
        if uses_browser or Path(str(item.fspath)).name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
