"""How `momentcast run` starts and stops the processes it owns, so every way of stopping it
ends all of them within a known time.

- Each worker runs in its own session (process group): a signal meant for `momentcast run`
  (Ctrl-C in a terminal, a supervisor's kill of the group) does not reach the worker's pool
  processes directly; run forwards it to each worker's main process, which stops its pool.
- A worker finishes its tasks for `shutdown_grace_seconds`, then hands the rest back to the
  broker and exits (scheduler/shutdown.py); run kills whatever is left of a worker's group
  `KILL_MARGIN_SECONDS` after that.
- A worker gets SIGTERM when run dies, even by SIGKILL (die_with_parent); the same bounded
  shutdown follows.
- The API server stops with the same grace period, in parallel with the workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

import uvicorn

# Past the worker's own limit (grace + about a second to give tasks back), within the promised
# grace + 5 s: only a wedged worker gets here.
KILL_MARGIN_SECONDS = 4.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class Workers:
    """Worker processes, each the leader of its own process group."""

    processes: Sequence[subprocess.Popen[bytes]]
    grace_seconds: float
    stopping_since: float | None = field(default=None, init=False)

    def stop(self) -> None:
        """Start the bounded shutdown of every worker (again: no effect)."""
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
            self._signal(signal.SIGTERM)

    def hurry(self) -> None:
        """Skip what is left of the grace period: running tasks go back to the broker now."""
        self.stop()
        self._signal(signal.SIGQUIT)

    def wait(self) -> None:
        """Until every worker exited; a group still there past its limit is killed."""
        self.stop()
        assert self.stopping_since is not None
        deadline = self.stopping_since + self.grace_seconds + KILL_MARGIN_SECONDS
        for process in self.processes:
            while not _exited(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            # While the leader is not reaped its group id cannot be reused: this kills only
            # what is left of that worker (pool processes or beat of one that was wedged).
            _kill_group(process.pid)
            process.wait()

    def _signal(self, sig: int) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.kill(process.pid, sig)


def _exited(pid: int) -> bool:
    """Whether `pid` (our child) exited, leaving it unreaped."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


class Server(uvicorn.Server):
    """uvicorn, telling the workers to stop the moment it is told to."""

    def __init__(self, config: uvicorn.Config, workers: Workers) -> None:
        super().__init__(config)
        self.workers = workers

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.workers.stop()
        super().handle_exit(sig, frame)


def serve(config: uvicorn.Config, workers: Workers) -> None:
    """Serve until SIGTERM or SIGINT, then stop the server and the workers together; exit
    as the signal would have (status 128 + n), after everything stopped."""
    received: list[int] = []

    def after_server(sig: int, frame: FrameType | None) -> None:
        # uvicorn re-raises the signal that stopped it; a second one means "hurry".
        if received:
            workers.hurry()
        received.append(sig)

    for sig in STOP_SIGNALS:
        signal.signal(sig, after_server)
    try:
        Server(config, workers).run()
    finally:
        workers.wait()
    if received:
        signal.signal(received[0], signal.SIG_DFL)
        os.kill(os.getpid(), received[0])
