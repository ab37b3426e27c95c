"""Suite-wide test configuration: which tests are slow, and that the run leaves no process
behind.

Slow tests drive a real browser, kill or restart real processes, or fuzz the whole API. They
still run in CI and in `python3 dev.py test`; the edit-test loop `python3 dev.py test --fast`
leaves them out (`-m "not slow"`). Rather than trusting every new file to carry the mark, whole
files of those kinds are marked here, and any test that asks for the `browser` fixture is
marked wherever it lives.

The test run leaves no process behind: at the end of the session, any process the tests
started (a server, a worker, a Redis or PostgreSQL of their own) that is still running fails
the run, and is then killed.

Found two ways, on Linux: pytest becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so even a
daemon that forks away (pg_ctl's postmaster) stays its descendant; and every process started
with the tests' environment carries MOMENTCAST_TEST_SESSION. Under xdist the controller checks,
after its workers have exited.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.processes import alive, carrying, command_line, descendants_of

SESSION_MARK = "MOMENTCAST_TEST_SESSION"
PR_SET_CHILD_SUBREAPER = 36
SETTLE_SECONDS = 5.0  # a process told to stop by the last teardown may still be exiting


SLOW_FILES = {
    "test_browser.py",  # Chromium against a live server
    "test_faults.py",  # SIGKILLed workers, restarted Redis and PostgreSQL
    "test_worker.py",  # real Celery workers, killed mid fan-out
    "test_run_command.py",  # `momentcast run` as a process tree
    "test_shutdown.py",  # every way of stopping momentcast, with real processes
    "test_schema_fuzz.py",  # schemathesis over every route
    "test_load.py",  # the load benchmark's own checks
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        uses_browser = "browser" in getattr(item, "fixturenames", ())
        if uses_browser or Path(str(item.fspath)).name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


def pytest_configure(config: pytest.Config) -> None:
    if not sys.platform.startswith("linux"):
        return
    if not hasattr(config, "workerinput"):  # xdist workers inherit their controller's mark
        os.environ[SESSION_MARK] = uuid.uuid4().hex  # fresh: a pytest run by a test is its own
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)


@pytest.hookimpl(trylast=True)  # after xdist shut its workers down
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not sys.platform.startswith("linux") or hasattr(session.config, "workerinput"):
        return
    left = _left_behind()
    deadline = time.monotonic() + SETTLE_SECONDS
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = {pid for pid in left if alive(pid)}
    _reap()
    if not left:
        return
    lines = [f"{pid} {command_line(pid)[:160]}" for pid in sorted(left)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", f"{len(left)} process(es) left running by the tests", red=True)
        for line in lines:
            reporter.write_line(line)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap()
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _left_behind() -> set[int]:
    me = os.getpid()
    found = descendants_of({me}) | carrying(SESSION_MARK, os.environ.get(SESSION_MARK, "?"))
    return found - {me}


def _reap() -> None:
    """Collect the exit status of orphans the subreaper inherited, so none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
