"""Every way a process manager stops `momentcast run` ends every process it started within
the grace period + 5 s, and copy generation in flight at that moment is finished exactly once
after a restart: the tasks it was running go back to the broker (issue 23).

Real processes throughout: `momentcast run` (or `dev.py run`) with its two Celery workers and
beat on the embedded broker or on Redis, in a session of its own like a daemon. The sweeper is
slowed to an hour, so only the broker can bring back a task that was running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from service.commands.supervise import KILL_MARGIN_SECONDS
from tests.live import free_port
from tests.processes import alive, carrying, command_line, descendants_of
from tests.scheduler.test_worker import Stack, stack_on, wait_for
from tests.service.conftest import postgres_schema_url
from tests.tracking.conftest import REDIS_URL, redis_or_skip

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's"
)

ROOT = Path(__file__).resolve().parents[2]
GRACE = 1.0  # shutdown_grace_seconds here: well under one task (3-10 s, depending on load)
BOUND = GRACE + 5  # the limit for every process to be gone
REPS, CHUNK = 120, 60  # two copy-generation tasks, one per pool process
LAUNCH_MARK = "MOMENTCAST_TEST_LAUNCH"
# dev.py with its install step left out: a test must never reinstall the venv it runs in.
DEV_RUN = "import dev, sys; dev._ensure_venv = lambda: None; sys.exit(dev.main(sys.argv[1:]))"


@dataclass
class Launched:
    """One `momentcast run` in a session of its own; every process it starts carries the
    launch's marker in its environment, so none can hide from `everything`."""

    process: subprocess.Popen[bytes]
    marker: str
    data_dir: Path

    def everything(self) -> set[int]:
        return descendants_of({self.process.pid}) | carrying(LAUNCH_MARK, self.marker)

    def wait_ready(self, port: int, logs_from: dict[Path, int]) -> None:
        def up() -> bool:
            assert self.process.poll() is None, "momentcast run exited"
            return all(
                log.exists() and b" ready." in log.read_bytes()[logs_from[log] :]
                for log in logs_from
            ) and _healthy(port)

        wait_for(up, seconds=120, what="momentcast run and both workers")

    def gone_after(self, since: float) -> float:
        """Seconds from `since` until every process of the launch has exited (at most BOUND
        + 10; the test then fails on the processes still alive)."""
        started = self.everything()
        while (left := {pid for pid in started | self.everything() if alive(pid)}) and (
            time.monotonic() - since < BOUND + 10
        ):
            self.process.poll()  # reap run itself, so it does not linger as a zombie
            time.sleep(0.05)
        took = time.monotonic() - since
        assert not left, f"still running after {took:.1f} s: " + "; ".join(
            f"{pid} {command_line(pid)[:120]}" for pid in left
        )
        return took


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def launch(stack: Stack, *, via: str = "momentcast") -> Launched:
    port, marker = free_port(), uuid.uuid4().hex
    env = {**stack.env(), LAUNCH_MARK: marker}
    program = ["-c", DEV_RUN] if via == "dev.py" else ["-c", "from service.cli import main; main()"]
    command = [sys.executable, *program, "run", "--no-demo", "--port", str(port)]
    command += ["--data-dir", str(stack.settings.data_dir)]
    logs = [stack.settings.data_dir / "logs" / f"worker-{name}.log" for name in ("cpu", "default")]
    logs_from = {log: log.stat().st_size if log.exists() else 0 for log in logs}
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=(stack.logs / "run.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as a daemon runs; also the process group the tests signal
    )
    launched = Launched(process, marker, stack.settings.data_dir)
    try:
        launched.wait_ready(port, logs_from)
    except BaseException:
        stop_for_good(launched)
        raise
    return launched


def stop_for_good(launched: Launched) -> None:
    for pid in launched.everything():
        os.kill(pid, signal.SIGKILL)
    launched.process.wait(timeout=10)


def each_process(sig: int) -> Callable[[Launched], None]:
    """As systemd's KillMode=control-group does: the signal to every process at once."""

    def send(launched: Launched) -> None:
        for pid in launched.everything():
            os.kill(pid, sig)

    return send


STOP_PATHS: dict[str, Callable[[Launched], None]] = {
    "SIGTERM to run": lambda run: run.process.send_signal(signal.SIGTERM),
    "SIGINT to run": lambda run: run.process.send_signal(signal.SIGINT),
    "SIGTERM to its group": lambda run: os.killpg(run.process.pid, signal.SIGTERM),
    "SIGINT to its group (Ctrl-C)": lambda run: os.killpg(run.process.pid, signal.SIGINT),
    "SIGTERM to every process": each_process(signal.SIGTERM),
    "SIGKILL of run": lambda run: run.process.send_signal(signal.SIGKILL),
}


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Stack]:
    """SQLite and the embedded broker under one data directory: what `momentcast run` uses."""
    data = tmp_path / "data"
    urls = (f"sqlite:///{data / 'momentcast.db'}", f"sqla+sqlite:///{data / 'broker.db'}")
    with stack_on(*urls, data, **SLOW_SWEEPER) as stack:
        yield stack


SLOW_SWEEPER: dict[str, Any] = {
    "fanout_chunk_size": CHUNK,
    "shutdown_grace_seconds": GRACE,
    "sweep_stuck_seconds": 3600.0,  # only the broker may bring a running task back
}


def stop_mid_generation(
    stack: Stack, stop: Callable[[Launched], None], *, via: str = "momentcast"
) -> tuple[float, int, int]:
    """Publish, stop while copies are being made, restart the worker, let it finish: (seconds
    until every process was gone, copies at the stop, post id)."""
    reps = stack.add_reps(REPS)
    running = launch(stack, via=via)
    post_id = stack.publish_post(images=1, size=(480, 360))
    try:
        wait_for(lambda: len(stack.copies_per_rep(post_id)) >= 1, seconds=120, what="copies")
        signalled = time.monotonic()
        stop(running)
        took = running.gone_after(signalled)
    finally:
        if running.process.poll() is None or running.everything():
            stop_for_good(running)
    at_stop = len(stack.copies_per_rep(post_id))
    assert at_stop < REPS, "all copies were made before the stop; the test proves nothing"
    # The restart: a worker on the same broker finds the running tasks given back to it.
    stack.start_worker(concurrency=2)
    wait_for(lambda: len(stack.copies_per_rep(post_id)) == REPS, seconds=180, what="copies")
    assert stack.copies_per_rep(post_id) == dict.fromkeys(reps, 1)
    assert stack.image_files_missing(post_id) == 0
    return took, at_stop, post_id


@pytest.mark.slow
@pytest.mark.parametrize("path", list(STOP_PATHS))
def test_every_stop_path_ends_every_process_and_loses_no_copy(embedded: Stack, path: str) -> None:
    took, at_stop, _ = stop_mid_generation(embedded, STOP_PATHS[path])
    print(f"\n{path}: every process gone {took:.1f} s after the signal; {at_stop}/{REPS} copies")
    assert took <= BOUND


@pytest.mark.slow
def test_sigterm_to_dev_py_run_ends_every_process_and_loses_no_copy(embedded: Stack) -> None:
    took, at_stop, _ = stop_mid_generation(embedded, STOP_PATHS["SIGTERM to run"], via="dev.py")
    print(f"\ndev.py run, SIGTERM: every process gone {took:.1f} s; {at_stop}/{REPS} copies")
    assert took <= BOUND


@pytest.mark.slow
def test_sigterm_to_every_process_on_redis_and_postgres_loses_no_copy(tmp_path: Path) -> None:
    """Production's broker: the running tasks come back to Redis, not after the visibility
    timeout (an hour) but at once."""
    redis_or_skip()
    for database_url in postgres_schema_url(f"mc_stop_{uuid.uuid4().hex[:12]}"):
        with stack_on(database_url, REDIS_URL, tmp_path / "data", **SLOW_SWEEPER) as stack:
            took, at_stop, _ = stop_mid_generation(stack, STOP_PATHS["SIGTERM to every process"])
            print(f"\nRedis, SIGTERM to every process: gone {took:.1f} s; {at_stop}/{REPS}")
            assert took <= BOUND


def compose() -> tuple[dict[str, Any], dict[str, str]]:
    """docker-compose.yml's services, and the environment the Dockerfile sets."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    env_line = re.search(r"^ENV ((?:.*\\\n)*.*)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert env_line is not None
    pairs = env_line.group(1).replace("\\\n", " ").split()
    return services, dict(pair.split("=", 1) for pair in pairs)


def seconds(duration: str) -> float:
    return float(duration.removesuffix("s"))


@pytest.mark.slow
def test_compose_worker_stops_within_its_grace_period_and_loses_no_copy(tmp_path: Path) -> None:
    """What `docker compose stop worker` does, without Docker: the compose command with the
    image's REMAP_SIGTERM, SIGTERM to the command alone (what the init passes on), exit before
    stop_grace_period; the copies it was making are finished by the next worker."""
    redis_or_skip()
    services, image_env = compose()
    worker = services["worker"]
    assert worker["init"] is True and worker["stop_signal"] == "SIGTERM"
    assert image_env["MOMENTCAST_ENV"] == "production"
    limit = seconds(worker["stop_grace_period"])
    grace = float(worker["environment"]["MOMENTCAST_SHUTDOWN_GRACE_SECONDS"])
    assert grace + KILL_MARGIN_SECONDS <= limit  # compose's own grace fits, with margin
    for database_url in postgres_schema_url(f"mc_compose_{uuid.uuid4().hex[:12]}"):
        with stack_on(database_url, REDIS_URL, tmp_path / "data", **SLOW_SWEEPER) as stack:
            took = stop_compose_worker(stack, worker["command"], image_env, limit)
            print(f"\ncompose worker, SIGTERM: exited {took:.1f} s (limit {limit:.0f} s)")


def stop_compose_worker(
    stack: Stack, command: list[str], image_env: dict[str, str], limit: float
) -> float:
    reps = stack.add_reps(REPS)
    env = {**stack.env(), "REMAP_SIGTERM": image_env["REMAP_SIGTERM"]}
    process = subprocess.Popen(
        [sys.executable, "-m", *command],  # `celery ...`: on the image's PATH, not on ours
        env=env,
        cwd=ROOT,
        stdout=(stack.logs / "compose-worker.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        post_id = stack.publish_post(images=1, size=(480, 360))
        wait_for(lambda: len(stack.copies_per_rep(post_id)) >= 1, seconds=120, what="copies")
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=limit)
        took = time.monotonic() - signalled
        assert not descendants_of({process.pid})
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert len(stack.copies_per_rep(post_id)) < REPS, "all copies made before the stop"
    stack.start_worker(concurrency=2)
    wait_for(lambda: len(stack.copies_per_rep(post_id)) == REPS, seconds=180, what="copies")
    assert stack.copies_per_rep(post_id) == dict.fromkeys(reps, 1)
    return took


def test_compose_beat_stops_within_its_grace_period(tmp_path: Path) -> None:
    services, image_env = compose()
    beat = services["beat"]
    assert beat["init"] is True and beat["stop_signal"] == "SIGTERM"
    command = [c.replace("/data", str(tmp_path)) for c in beat["command"]]
    settings = {"MOMENTCAST_DATA_DIR": str(tmp_path), "MOMENTCAST_ENV": "test"}
    log = tmp_path / "beat.log"
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        env={**os.environ, "REMAP_SIGTERM": image_env["REMAP_SIGTERM"], **settings},
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: b"beat: Starting" in log.read_bytes(), seconds=60, what="beat")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=seconds(beat["stop_grace_period"]))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert not descendants_of({process.pid})
