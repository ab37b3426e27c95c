"""Scheduler benchmark (issue 5): publishing a 9-image post to N reps.

    .venv/bin/python -m bench.bench_scheduler [--reps 1000] [--workers 2]

Both runs make the same copies (same post, same reps, same teams of 50) from an empty start
on the local PostgreSQL, each in a fresh schema:
- baseline: a plain single-process loop over the reps (`plans.service.generate`), one image
  thread, i.e. the work with no queue at all;
- fan-out: publish through the API; real Celery worker processes (prefork, one image thread
  each) on the local Redis make the copies; timed from the publish request until the plan
  reports every copy ready.
Task overhead per copy: afterwards the same chunks are queued again; every copy exists, so
each task only looks them up; the time to drain them / N is what a task costs beyond the work.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from bench._report import write_section
from bench.bench_service import nine_images
from service import engines
from service.app import create_app
from service.auth import service as auth_service
from service.db import unit_of_work
from service.models import Copy, Post, Role
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"
TEXT = (ROOT / "samples" / "posts" / "01-beauty-serum.txt").read_text(encoding="utf-8")
TEAM_SIZE = 50
SUCCEEDED = re.compile(r"Task copies\.generate\[[^\]]+\] succeeded")


@contextmanager
def schema() -> Iterator[str]:
    name = f"mc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{PG}?options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def setting_up(database_url: str, data_dir: Path, *, send: bool) -> tuple[Runtime, int, list[int]]:
    settings = Settings(
        env="test",
        data_dir=data_dir,
        database_url=database_url,
        broker_url=REDIS,
        secret_key="bench-key",
        send_tasks=send,
        queue_prefix=f"bench-{uuid.uuid4().hex[:8]}-",
        image_threads=1,
        default_window_minutes=600,
    )
    runtime = Runtime.build(settings)
    runtime.migrate()
    return runtime, *org_and_reps(runtime)


def org_and_reps(runtime: Runtime) -> tuple[int, list[int]]:
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug=f"bench-{uuid.uuid4().hex[:6]}")
        reps = [
            reps_service.create(
                session, org_id=org.id, data=RepCreate(name=f"导购{i}", team=f"{i // TEAM_SIZE}店")
            )
            for i in range(ARGS.reps)
        ]
        return org.id, [rep.id for rep in reps]


def make_post(runtime: Runtime, org_id: int) -> int:
    with unit_of_work(runtime.sessions) as session:
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=org_id,
            author_id=None,
            data=PostCreate(title="基准", text=TEXT),
            uploads=nine_images(),
        )
        post.seed_salt = "bench"  # both runs make exactly the same copies
        return post.id


def copies(runtime: Runtime, post_id: int) -> int:
    with unit_of_work(runtime.sessions) as session:
        return session.scalar(select(func.count()).where(Copy.post_id == post_id)) or 0


def baseline(tmp: Path) -> float:
    with schema() as url:
        runtime, org_id, reps = setting_up(url, tmp / "baseline", send=False)
        post_id = make_post(runtime, org_id)
        with unit_of_work(runtime.sessions) as session:
            post = session.get(Post, post_id)
            assert post is not None
            plans_service.publish(session, runtime.settings, post)
        engines.set_image_threads(1)
        started = time.perf_counter()
        plans_service.generate(
            runtime.sessions, runtime.storage, org_id=org_id, post_id=post_id, rep_ids=reps
        )
        elapsed = time.perf_counter() - started
        assert copies(runtime, post_id) == len(reps)
        runtime.engine.dispose()
        return elapsed


def fan_out(tmp: Path) -> tuple[float, float, int]:
    with schema() as url:
        runtime, org_id, reps = setting_up(url, tmp / "fanout", send=True)
        post_id = make_post(runtime, org_id)
        log_path = tmp / "worker.log"
        worker = start_worker(runtime.settings, log_path)
        try:
            wait_until(lambda: "ready." in log_path.read_text(), 120)
            with TestClient(create_app(runtime=runtime)) as client:
                with unit_of_work(runtime.sessions) as session:
                    staff = orgs_service.create_staff(
                        session,
                        org_id=org_id,
                        email="e@b.test",
                        password="x" * 12,
                        role=Role.EDITOR,
                    )
                    token = auth_service.start(session, runtime.signer, staff)
                started = time.perf_counter()
                answer = client.post(
                    f"/api/posts/{post_id}/publish",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 200, answer.text
                wait_until(lambda: copies(runtime, post_id) == len(reps), 7200, poll=0.25)
                elapsed = time.perf_counter() - started
            # Overhead: the same chunks again; every copy exists, so tasks only look them up.
            done_before = len(SUCCEEDED.findall(log_path.read_text()))
            size = runtime.settings.fanout_chunk_size
            chunks = [reps[i : i + size] for i in range(0, len(reps), size)]
            started = time.perf_counter()
            for chunk in chunks:
                runtime.dispatcher.send(
                    plans_service.GENERATE_TASK,
                    {"org_id": org_id, "post_id": post_id, "rep_ids": chunk},
                )
            wait_until(
                lambda: len(SUCCEEDED.findall(log_path.read_text())) >= done_before + len(chunks),
                600,
                poll=0.05,
            )
            overhead = time.perf_counter() - started
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
            runtime.engine.dispose()
        return elapsed, overhead, len(chunks)


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings.environment()}  # sends tasks, one image thread
    command = [sys.executable, "-m", "celery", "--app", "scheduler", "worker", "--loglevel", "INFO"]
    command += ["--concurrency", str(ARGS.workers), "--without-gossip", "--without-mingle"]
    return subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until(check: object, seconds: float, *, poll: float = 0.5) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {seconds} s")
        time.sleep(poll)


def main() -> None:
    with TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        load = os.getloadavg()[0]
        base = baseline(tmp)
        fanned, overhead, chunks = fan_out(tmp)
    n = ARGS.reps
    speedup = base / fanned
    body = (
        f"A 9-image post (the sample images, 1080×1440 at most) and the sample text "
        f"01-beauty-serum to **{n} reps** in teams of {TEAM_SIZE}, PostgreSQL, Redis broker; "
        f"load average {load:.1f} when the run started.\n\n"
        "| run | copies | wall time | per copy |\n|---|---|---|---|\n"
        f"| plain single-process loop (baseline) | {n} | {base:.1f} s | "
        f"{base / n * 1000:.0f} ms |\n"
        f"| publish → all copies ready, {ARGS.workers} worker processes | {n} | {fanned:.1f} s | "
        f"{fanned / n * 1000:.0f} ms |\n\n"
        f"**Speed-up: {speedup:.2f}×** (target ≥ 1.6× with 2 worker processes).\n\n"
        f"Task overhead: {chunks} chunk tasks of {ARGS.reps // chunks} reps whose copies "
        f"already exist drained in {overhead:.2f} s, i.e. **{overhead / n * 1000:.1f} ms per "
        "copy** (queueing, acknowledging, loading post and rep, finding the copy) against "
        f"{base / n * 1000:.0f} ms of generation per copy.\n"
    )
    print(body)
    if not ARGS.no_write:
        write_section("bench_scheduler", "Scheduler: publishing to many reps (issue 5)", body)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    ARGS = parser.parse_args()
    main()
