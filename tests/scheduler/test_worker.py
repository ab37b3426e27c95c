"""Real Celery workers (separate processes, prefork pool) against the real Redis on this
machine and against the embedded broker (kombu's SQLAlchemy transport on SQLite): publishing
fans out copy generation, and killing a worker or restarting Redis loses nothing."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.auth import service as auth_service
from service.db import unit_of_work
from service.models import Copy, ImageCopy, Role
from service.orgs import service as orgs_service
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.settings import Settings
from tests.live import free_port
from tests.service.conftest import jpeg_bytes, postgres_schema_url
from tests.service.test_posts import upload
from tests.tracking.conftest import REDIS_URL, redis_or_skip

ROOT = Path(__file__).resolve().parents[2]
TEXT = (
    "【冬季上新】羊毛大衣到店啦！原价¥1299，本周到店只要¥899，第二件半价。"
    "咨询电话 138-1234-5678，活动截止 12月31日，欢迎来店试穿～ #冬季上新#"
)


@dataclass
class Stack:
    """A migrated database, a broker, the API in-process, one organisation with an editor."""

    settings: Settings
    runtime: Runtime
    client: TestClient
    editor: dict[str, str]
    org_id: int
    logs: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        # The pool processes already use both cores: one image thread each.
        return {
            **os.environ,
            **self.settings.environment(),
            "MOMENTCAST_IMAGE_THREADS": "1",
            **extra,
        }

    def start_worker(self, *, concurrency: int = 2, beat: bool = False, **env: str) -> Any:
        name = f"w{len(self.workers)}"
        command = [sys.executable, "-m", "celery", "--app", "scheduler", "worker"]
        command += ["--concurrency", str(concurrency), "--hostname", f"{name}@%h"]
        command += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        if beat:
            command += ["--beat", "--schedule", str(self.logs / f"{name}-beat")]
        log = (self.logs / f"{name}.log").open("ab")
        worker = subprocess.Popen(
            command,
            env=self.env(**env),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes the pool too
        )
        self.workers.append(worker)
        return worker

    def start_sweeping_worker(self) -> Any:
        """A worker with beat whose sweeper re-queues stalled work after 3 s, not 2 minutes."""
        return self.start_worker(
            concurrency=2,
            beat=True,
            MOMENTCAST_SWEEP_INTERVAL_SECONDS="1",
            MOMENTCAST_SWEEP_STUCK_SECONDS="3",
        )

    def kill(self, worker: subprocess.Popen[bytes]) -> None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)

    def add_reps(self, count: int, *, teams: int = 20) -> list[int]:
        with unit_of_work(self.runtime.sessions) as session:
            reps = [
                reps_service.create(
                    session,
                    org_id=self.org_id,
                    data=RepCreate(name=f"导购{i}", team=f"{i % teams + 1}店"),
                )
                for i in range(count)
            ]
            return [rep.id for rep in reps]

    def publish_post(
        self, *, images: int = 1, size: tuple[int, int] = (240, 180), **window: Any
    ) -> int:
        org = type("O", (), {"editor": self.editor})()
        made = upload(
            self.client,
            org,
            text=TEXT,
            images=[(f"{i}.jpg", jpeg_bytes(seed=i, size=size)) for i in range(images)],
        )
        assert made.status_code == 201, made.text
        post_id = int(made.json()["id"])
        published = self.client.post(
            f"/api/posts/{post_id}/publish", headers=self.editor, json=window or None
        )
        assert published.status_code == 200, published.text
        return post_id

    def copies_per_rep(self, post_id: int) -> dict[int, int]:
        with unit_of_work(self.runtime.sessions) as session:
            rows = session.execute(
                select(Copy.rep_id, func.count())
                .where(Copy.post_id == post_id)
                .group_by(Copy.rep_id)
            )
            return {rep_id: count for rep_id, count in rows}

    def plan(self, post_id: int) -> Any:
        return self.client.get(f"/api/posts/{post_id}/plan", headers=self.editor).json()

    def image_files_missing(self, post_id: int) -> int:
        with unit_of_work(self.runtime.sessions) as session:
            keys = session.scalars(
                select(ImageCopy.storage_key).join(Copy).where(Copy.post_id == post_id)
            )
            return sum(not (self.settings.media_dir / key).exists() for key in keys)


def wait_for(check: Callable[[], Any], *, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.2)


def recovery(stack: Stack, post_id: int, *, total: int, since: float) -> tuple[float, float]:
    """Seconds from `since` (a perf_counter time) until copies are made again, and until all
    `total` exist: the recovery figures SECURITY.md reports (run with -s to see them)."""
    before = len(stack.copies_per_rep(post_id))
    wait_for(lambda: len(stack.copies_per_rep(post_id)) > before, seconds=300, what="progress")
    resumed = time.perf_counter() - since
    wait_for(lambda: len(stack.copies_per_rep(post_id)) == total, seconds=300, what="all copies")
    return resumed, time.perf_counter() - since


@contextmanager
def stack_on(
    database_url: str, broker_url: str, data_dir: Path, **settings_: Any
) -> Iterator[Stack]:
    defaults: dict[str, Any] = {
        "env": "test",
        "secret_key": "scheduler-test-key",
        "base_url": "http://testserver",
        "send_tasks": True,
        "queue_prefix": f"test-{uuid.uuid4().hex[:10]}-",
        "fanout_chunk_size": 10,
    }
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        broker_url=broker_url,
        **(defaults | settings_),
    )
    runtime = Runtime.build(settings)
    runtime.migrate()
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug=f"sched-{uuid.uuid4().hex[:8]}")
        editor = orgs_service.create_staff(
            session, org_id=org.id, email=f"e@{org.slug}.test", password="x" * 12, role=Role.EDITOR
        )
        token = auth_service.start(session, runtime.signer, editor)
        org_id = org.id
    logs = data_dir / "logs"
    logs.mkdir(parents=True)
    with TestClient(create_app(runtime=runtime)) as client:
        stack = Stack(settings, runtime, client, {"Authorization": f"Bearer {token}"}, org_id, logs)
        try:
            yield stack
        finally:
            stack.stop_all()
            runtime.engine.dispose()


@pytest.fixture(params=["embedded", "redis"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    """embedded: SQLite + the SQLite broker (the README's first command); redis: PostgreSQL +
    the real Redis (production)."""
    if request.param == "embedded":
        urls = (f"sqlite:///{tmp_path / 'db.sqlite'}", f"sqla+sqlite:///{tmp_path / 'broker.db'}")
        with stack_on(*urls, tmp_path) as built:
            yield built
    else:
        redis_or_skip()
        for database_url in postgres_schema_url(f"mc_sched_{uuid.uuid4().hex[:12]}"):
            with stack_on(database_url, REDIS_URL, tmp_path) as built:
                yield built


def test_publishing_fans_out_every_copy_to_a_real_worker(stack: Stack) -> None:
    reps = stack.add_reps(24)
    post_id = stack.publish_post(images=2)
    stack.start_worker(concurrency=2)
    wait_for(lambda: stack.plan(post_id)["copies_ready"] == 24, seconds=180, what="24 copies")
    assert stack.copies_per_rep(post_id) == dict.fromkeys(reps, 1)
    assert stack.image_files_missing(post_id) == 0
    texts = {
        stack.client.get(f"/api/posts/{post_id}/copies/{rep}", headers=stack.editor).json()["text"]
        for rep in reps
    }
    assert len(texts) == 24  # every rep got their own wording


def test_a_worker_killed_mid_fan_out_leaves_every_rep_exactly_one_copy(stack: Stack) -> None:
    reps = stack.add_reps(200)
    post_id = stack.publish_post(images=1)
    first = stack.start_worker(concurrency=2)
    wait_for(lambda: len(stack.copies_per_rep(post_id)) >= 40, seconds=180, what="40 copies")
    stack.kill(first)  # kill -9 the whole worker, pool processes included
    at_kill = len(stack.copies_per_rep(post_id))
    assert at_kill < 200, "the fan-out finished before the kill; the test proves nothing"
    # The new worker carries on with what is still queued; its beat's sweeper re-queues what
    # the killed one had taken (late acknowledgement keeps it, but only the sweeper is fast).
    restarted = time.perf_counter()
    stack.start_sweeping_worker()
    resumed, done = recovery(stack, post_id, total=200, since=restarted)
    print(f"\nworker kill -9 at {at_kill}/200: copies again {resumed:.1f} s, all {done:.1f} s")
    assert stack.copies_per_rep(post_id) == dict.fromkeys(reps, 1)
    assert stack.image_files_missing(post_id) == 0
    plan = wait_for(
        lambda: (p := stack.plan(post_id))["copies_ready"] == 200 and p, seconds=10, what="plan"
    )
    assert plan["reps"] == 200


class OwnRedis:
    """A real redis-server of the test's own, so restarting it disturbs nobody else.
    `appendonly`: persist as docker-compose's Redis does (AOF, fsync every second)."""

    def __init__(self, workdir: Path, *, appendonly: bool = False) -> None:
        self.port, self.workdir, self.appendonly = free_port(), workdir, appendonly
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--dir", str(self.workdir)]
        command += ["--appendonly", "yes" if self.appendonly else "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        import redis

        def up() -> bool:
            try:
                return bool(redis.Redis.from_url(self.url).ping())
            except redis.RedisError:
                return False

        wait_for(up, seconds=10, what="redis-server")

    def stop(self, *, graceful: bool = False) -> None:
        """SIGKILL, or SIGTERM as `docker restart` sends (Redis then writes out and exits)."""
        if self.process is not None:
            if graceful:
                self.process.terminate()
            else:
                self.process.kill()
            self.process.wait(timeout=10)


def test_redis_restarted_mid_fan_out_loses_nothing(tmp_path: Path) -> None:
    redis_or_skip()
    own = OwnRedis(tmp_path)
    own.start()
    urls = (f"sqlite:///{tmp_path / 'db.sqlite'}", own.url)
    try:
        with stack_on(*urls, tmp_path / "data") as stack:
            reps = stack.add_reps(200)
            post_id = stack.publish_post(images=1)
            stack.start_sweeping_worker()
            wait_for(lambda: len(stack.copies_per_rep(post_id)) >= 30, seconds=180, what="30")
            own.stop()  # Redis keeps nothing on disk here: every queued message is gone
            time.sleep(2)
            at_restart = len(stack.copies_per_rep(post_id))
            own.start()
            back = time.perf_counter()
            assert at_restart < 200, "the fan-out finished before the restart"
            resumed, done = recovery(stack, post_id, total=200, since=back)
            print(f"\nRedis restart at {at_restart}/200: copies {resumed:.1f} s, all {done:.1f} s")
            assert stack.copies_per_rep(post_id) == dict.fromkeys(reps, 1)
    finally:
        own.stop()


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/nonexistent"))


class OwnPostgres:
    """A real PostgreSQL server of the test's own (initdb into a temporary folder), so
    crashing it disturbs nobody else."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.workdir = Path(tempfile.mkdtemp(prefix="momentcast-pg-"))
        self.workdir.chmod(0o777)
        self.port, self.dir = free_port(), self.workdir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def crash(self) -> None:
        """Stop as a power cut would: no checkpoint, clients cut off mid-transaction."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "stop")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A started PostgreSQL server of the test's own, crashed and deleted afterwards."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL's server binaries are not installed here")
    own = OwnPostgres()
    own.init()
    own.start()
    try:
        yield own
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            own.crash()
        shutil.rmtree(own.workdir, ignore_errors=True)


def test_postgres_restarted_mid_fan_out_loses_nothing(tmp_path: Path) -> None:
    redis_or_skip()
    with own_postgres() as own, stack_on(own.url, REDIS_URL, tmp_path / "data") as stack:
        reps = stack.add_reps(200)
        post_id = stack.publish_post(images=1)
        stack.start_sweeping_worker()
        wait_for(lambda: len(stack.copies_per_rep(post_id)) >= 30, seconds=180, what="30")
        own.crash()
        time.sleep(3)  # tasks running now fail on the database and are given up
        own.start()
        back = time.perf_counter()
        stack.runtime.engine.dispose()  # the test's own pool holds dead connections too
        resumed, done = recovery(stack, post_id, total=200, since=back)
        print(f"\nPostgreSQL crash: copies again {resumed:.1f} s after restart, all {done:.1f} s")
        assert stack.copies_per_rep(post_id) == dict.fromkeys(reps, 1)
        assert stack.image_files_missing(post_id) == 0
