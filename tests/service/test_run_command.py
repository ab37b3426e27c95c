"""`momentcast run` with its workers: killing the command, even with SIGKILL, takes its
Celery workers with it (they would otherwise keep running, holding the broker file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def descendants_of(pids: set[int]) -> set[int]:
    found, frontier = set(), set(pids)
    while frontier:
        found |= frontier
        frontier = {child for pid in frontier for child in children_of(pid)} - found
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_run_command_leaves_no_worker_behind(tmp_path: Path) -> None:
    env = {**os.environ, "MOMENTCAST_ENV": "development", "MOMENTCAST_IMAGE_THREADS": "1"}
    command = [sys.executable, "-c", "from service.cli import main; main()", "run", "--no-demo"]
    command += ["--port", str(free_port()), "--data-dir", str(tmp_path)]
    run = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    names = ("cpu", "default", "tracking")  # folding has its own worker since issue 15
    logs = [tmp_path / "logs" / f"worker-{name}.log" for name in names]
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while not all(log.exists() and "ready." in log.read_text() for log in logs):
            assert run.poll() is None, "momentcast run exited"
            assert time.monotonic() < deadline, "the workers did not come up"
            time.sleep(0.3)
        workers = children_of(run.pid)
        assert len(workers) == len(names)
        workers = descendants_of(workers)  # with their pool processes
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not any(alive(pid) for pid in workers), "a worker outlived momentcast run"
    finally:
        if run.poll() is None:
            run.kill()
        for pid in workers | children_of(run.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
