"""The session-end check of tests/conftest.py: a test run that leaves a process running fails,
and the process is killed, even one that forked away from the test like a daemon."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import alive

ROOT = Path(__file__).resolve().parents[1]
LEAKING_TEST = """
import subprocess
from pathlib import Path

def test_starts_a_daemon_and_forgets_it(tmp_path):
    # sh exits at once; its sleep lives on, an orphan, as a daemonised server would.
    subprocess.run(["sh", "-c", "sleep 300 & echo $! > {pidfile}"], check=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("leaks", [True, False])
def test_a_run_that_leaves_a_process_running_fails(tmp_path: Path, leaks: bool) -> None:
    pidfile = tmp_path / "daemon.pid"
    body = LEAKING_TEST.format(pidfile=pidfile)
    if not leaks:
        body += f"    subprocess.run(['kill', Path('{pidfile}').read_text().strip()])\n"
    (tmp_path / "test_inner.py").write_text(body)
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += ["-q", "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")]
    inner = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    daemon = int(pidfile.read_text())
    assert not alive(daemon)
    if leaks:
        assert inner.returncode == pytest.ExitCode.TESTS_FAILED, inner.stdout
        assert "1 process(es) left running by the tests" in inner.stdout
        assert f"{daemon} sleep 300" in inner.stdout
    else:
        assert inner.returncode == pytest.ExitCode.OK, inner.stdout
