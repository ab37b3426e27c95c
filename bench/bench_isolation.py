"""One organisation's volume against another's timeliness (issue 15, finding 7): a big
organisation imports 20,000 reps while it has 17 plans open (340,000 late plan items owed),
and meanwhile a small organisation's beacons must be folded and its reminders sent within
one job interval.

    .venv/bin/python -m bench.bench_isolation [--seconds 240] [--reps 20000] [--plans 17]

Production's layout on PostgreSQL (a fresh schema, dropped afterwards) and the real Redis:
`momentcast run`'s workers (copy generation, one process here; the short jobs with beat, one
process; folding, one process) at production's intervals (fold 5 s, reminders and enrolment
30 s). The small organisation's reminders go to a local webhook
receiver; its beacons are appended to the event stream once a second, as the API does, and
their folding is seen by polling the page views (0.25 s resolution).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, select, update

from bench._report import write_section
from bench.bench_load import pct
from bench.bench_scheduler import schema
from service.db import unit_of_work
from service.models import Organisation, PlanItem, Reminder
from service.models.tracking import PageView, Viewer
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.settings import Settings
from service.tracking.events import open_store

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "bench-isolation-webhook-secret-0123"
TASK_RE = re.compile(r"Task ([a-z_.]+)\[[^\]]+\] succeeded in ([0-9.]+)s: (.*)")
FOLD_INTERVAL, REMINDER_INTERVAL = 5.0, 30.0  # scheduler/beat.py, Settings' defaults


@contextmanager
def receiver() -> Iterator[str]:
    """A webhook receiver that answers 200 (the small organisation's reminders go there)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def organisation(runtime: Runtime, slug: str, reps: int, posts: int) -> tuple[int, list[int]]:
    """An organisation with `reps` reps and `posts` text posts published (plans open 10 h)."""
    with unit_of_work(runtime.sessions) as session:
        org_id = orgs_service.ensure_org(session, slug=slug).id
        for i in range(reps):
            reps_service.create(
                session, org_id=org_id, data=RepCreate(name=f"导购{i}", team="一组")
            )
    post_ids = []
    for i in range(posts):
        with unit_of_work(runtime.sessions) as session:
            data = PostCreate(title=f"第{i}篇", text=f"秋冬新品第{i}波，到店有礼。#上新#")
            post = posts_service.create(
                session, runtime.storage, org_id=org_id, author_id=None, data=data, uploads=[]
            )
            plans_service.publish(session, runtime.settings, post)
            post_ids.append(post.id)
    return org_id, post_ids


def page_views(runtime: Runtime, org_id: int, post_id: int, count: int) -> list[int]:
    with unit_of_work(runtime.sessions) as session:
        rep_id = session.scalar(select(PlanItem.rep_id).where(PlanItem.post_id == post_id))
        viewer = Viewer(org_id=org_id, cookie_id=uuid.uuid4().hex, first_rep_id=rep_id)
        session.add(viewer)
        session.flush()
        views = [
            PageView(
                org_id=org_id,
                post_id=post_id,
                rep_id=rep_id,
                viewer_id=viewer.id,
                opened_at=datetime.now(UTC),
            )
            for _ in range(count)
        ]
        session.add_all(views)
        session.flush()
        return [view.id for view in views]


def start_workers(settings: Settings, logs: Path) -> list[subprocess.Popen[bytes]]:
    """`momentcast run`'s workers (service/commands/run.py), one process each."""
    env = {**os.environ, **settings.environment(), "MOMENTCAST_IMAGE_THREADS": "1"}
    prefix = settings.queue_prefix
    layouts = {
        "cpu": ["--queues", f"{prefix}cpu", "--concurrency", "1"],
        "default": ["--queues", f"{prefix}default", "--concurrency", "1", "--beat"],
        "tracking": ["--queues", f"{prefix}tracking", "--concurrency", "1"],
    }
    workers = []
    for name, args in layouts.items():
        command = [sys.executable, "-m", "celery", "--app", "scheduler", "worker", *args]
        command += ["--hostname", f"{name}@%h", "--loglevel", "INFO", "--without-gossip"]
        command += ["--without-mingle", "--schedule", str(logs / f"{name}-beat")]
        log = (logs / f"{name}.log").open("ab")
        workers.append(
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        )
    deadline = time.monotonic() + 90
    while not all(b"ready." in (logs / f"{n}.log").read_bytes() for n in layouts):
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start; see their logs")
        time.sleep(0.5)
    return workers


def import_reps(runtime: Runtime, org_id: int, count: int, report: dict[str, float]) -> None:
    """The admin's import, in the API's way (one request of 1,000 rows at a time)."""
    began = time.monotonic()
    for first in range(0, count, 1000):
        with unit_of_work(runtime.sessions) as session:
            for i in range(first, min(count, first + 1000)):
                data = RepCreate(name=f"新人{i}", team="一组")
                reps_service.create(session, org_id=org_id, data=data)
    report["import_s"] = time.monotonic() - began


def beacons(
    settings: Settings, views: list[int], stop: threading.Event
) -> dict[tuple[int, int], float]:
    """One beacon a second on the small organisation's page views: {(view, seq): sent at}."""
    store = open_store(settings)
    sent: dict[tuple[int, int], float] = {}
    seq = 0
    while not stop.wait(1.0):
        seq += 1
        view = views[seq % len(views)]
        store.append_now(
            {
                "pv": view,
                "s": seq,
                "v": seq * 1000,
                "e": seq * 900,
                "d": 10,
                "x": {},
                "at": time.time(),
            }
        )
        sent[(view, seq)] = time.monotonic()
    store.close()
    return sent


def watch_folds(
    runtime: Runtime, views: list[int], stop: threading.Event, seen: dict[tuple[int, int], float]
) -> None:
    """When each beacon's sequence number first shows in its page view."""
    known: dict[int, int] = {}
    while not stop.wait(0.25):
        with runtime.sessions() as session:
            rows = session.execute(
                select(PageView.id, PageView.beacons).where(PageView.id.in_(views))
            ).all()
        now = time.monotonic()
        for view, folded in rows:
            for seq in range(known.get(view, 0) + 1, folded + 1):
                seen.setdefault((view, seq), now)
            known[view] = max(known.get(view, 0), folded)


def task_runs(log: Path) -> dict[str, list[tuple[float, str]]]:
    runs: dict[str, list[tuple[float, str]]] = {}
    for line in log.read_text(errors="replace").splitlines():
        if match := TASK_RE.search(line):
            runs.setdefault(match.group(1), []).append((float(match.group(2)), match.group(3)))
    return runs


def run(seconds: float, reps: int, plans: int, small_reps: int) -> dict[str, Any]:
    with schema() as database_url, tempfile.TemporaryDirectory() as tmp, receiver() as hook:
        settings = Settings(
            env="test",
            data_dir=Path(tmp),
            database_url=database_url,
            broker_url=REDIS_URL,
            events_url=REDIS_URL,
            events_stream=f"bench-isolation-{uuid.uuid4().hex[:8]}",
            queue_prefix=f"bench-iso-{uuid.uuid4().hex[:8]}-",
            secret_key="bench-isolation-key",
            send_tasks=True,
            default_window_minutes=600,
            image_threads=1,
        )
        runtime = Runtime.build(settings)
        runtime.migrate()
        big, _ = organisation(runtime, "big", 50, plans)
        small, (small_post,) = organisation(runtime, "small", small_reps, 1)
        with unit_of_work(runtime.sessions) as session:
            values = {"webhook_url": hook, "webhook_secret": SECRET}
            session.execute(update(Organisation).where(Organisation.id == small).values(**values))
        views = page_views(runtime, small, small_post, 20)
        logs = Path(tmp) / "logs"
        logs.mkdir()
        workers = start_workers(settings, logs)
        try:
            return measure(runtime, settings, logs, big, small, views, seconds, reps, plans)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
            redis.Redis.from_url(REDIS_URL).delete(
                settings.events_stream,
                *(f"{settings.queue_prefix}{q}" for q in ("default", "cpu", "tracking")),
            )
            runtime.engine.dispose()


def measure(
    runtime: Runtime,
    settings: Settings,
    logs: Path,
    big: int,
    small: int,
    views: list[int],
    seconds: float,
    reps: int,
    plans: int,
) -> dict[str, Any]:
    start = datetime.now(UTC)
    # The small organisation's slots spread over the run, the last ones a full interval early.
    with unit_of_work(runtime.sessions) as session:
        items = list(session.scalars(select(PlanItem).where(PlanItem.org_id == small)))
        span = max(1.0, seconds - 15 - 2 * REMINDER_INTERVAL)
        for i, item in enumerate(items):
            item.slot_at = start + timedelta(seconds=15 + span * i / max(1, len(items) - 1))
    report: dict[str, float] = {}
    stop = threading.Event()
    folded: dict[tuple[int, int], float] = {}
    importer = threading.Thread(target=import_reps, args=(runtime, big, reps, report))
    watcher = threading.Thread(target=watch_folds, args=(runtime, views, stop, folded))
    sent: dict[tuple[int, int], float] = {}
    sender = threading.Thread(target=lambda: sent.update(beacons(settings, views, stop)))
    for thread in (importer, watcher, sender):
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in (importer, watcher, sender):
        thread.join()
    fold_delays = [folded[key] - at for key, at in sent.items() if key in folded]
    with unit_of_work(runtime.sessions) as session:
        reminded = session.execute(
            select(PlanItem.slot_at, Reminder.sent_at)
            .join(Reminder, Reminder.item_id == PlanItem.id)
            .where(PlanItem.org_id == small, Reminder.status == "sent")
        ).all()
        big_items = session.scalar(select(func.count()).where(PlanItem.org_id == big)) or 0
    reminder_delays = [(at - slot).total_seconds() for slot, at in reminded if at is not None]
    runs = task_runs(logs / "default.log")
    runs.update(task_runs(logs / "tracking.log"))
    enrol = [(took, result) for took, result in runs.get("plans.enrol_late_reps", [])]
    queued_cpu = redis.Redis.from_url(REDIS_URL).llen(f"{settings.queue_prefix}cpu")
    return {
        "seconds": seconds,
        "plans": plans,
        "reps": reps,
        "import_s": report.get("import_s", float("nan")),
        "beacons": len(sent),
        "beacons_unfolded": len(sent) - len(fold_delays),
        "fold_p50": pct(fold_delays, 0.5),
        "fold_max": max(fold_delays, default=float("nan")),
        "reminders": len(reminder_delays),
        "reminders_due": len(items_due(runtime, small)),
        "reminder_p50": pct(reminder_delays, 0.5),
        "reminder_max": max(reminder_delays, default=float("nan")),
        "enrol_runs": len(enrol),
        "enrol_max_s": max((t for t, _ in enrol), default=0.0),
        "enrol_p50_s": pct([t for t, _ in enrol], 0.5) if enrol else 0.0,
        "enrolled": sum(int(r) for _, r in enrol if r.isdigit()),
        "big_items": int(big_items),
        "job_max_s": {name: max(t for t, _ in done) for name, done in runs.items()},
        "cpu_queue": int(queued_cpu),
    }


def items_due(runtime: Runtime, org_id: int) -> list[int]:
    with runtime.sessions() as session:
        now = datetime.now(UTC)
        return list(
            session.scalars(
                select(PlanItem.id).where(PlanItem.org_id == org_id, PlanItem.slot_at <= now)
            )
        )


def body(result: dict[str, Any]) -> str:
    r = result
    jobs = ", ".join(f"{name} {took:.2f} s" for name, took in sorted(r["job_max_s"].items()))
    folded = r["beacons"] - r["beacons_unfolded"]
    fold = f"{r['fold_p50']:.2f} s / {r['fold_max']:.2f} s"
    remind = f"{r['reminder_p50']:.2f} s / {r['reminder_max']:.2f} s"
    enrol = f"{r['enrol_runs']}, p50 {r['enrol_p50_s']:.2f} s, max {r['enrol_max_s']:.2f} s"
    owed = r["reps"] * r["plans"]
    return f"""\
One organisation imports {r["reps"]:,} reps (in {r["import_s"]:.0f} s) while its
{r["plans"]} plans are open; another organisation's beacons and reminders meanwhile, over
{r["seconds"]:.0f} s, production's workers (one process each) and intervals.

| the other organisation | figure | interval |
|---|---|---|
| beacons folded | {folded} of {r["beacons"]} | |
| fold delay p50 / max | {fold} | {FOLD_INTERVAL:.0f} s |
| reminders sent | {r["reminders"]} of {r["reminders_due"]} due | |
| reminder delay p50 / max | {remind} | {REMINDER_INTERVAL:.0f} s |

| the big organisation | figure |
|---|---|
| enrolment runs | {enrol} |
| plan items enrolled during the run | {r["enrolled"]:,} (of {owed:,} owed) |
| copy-generation tasks waiting in the CPU queue at the end | {r["cpu_queue"]:,} |

Longest run of each job (default and tracking queues): {jobs}.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--reps", type=int, default=20_000)
    parser.add_argument("--plans", type=int, default=17)
    parser.add_argument("--small-reps", type=int, default=60)
    parser.add_argument("--no-write", action="store_true", help="print only, no BENCHMARKS.md")
    args = parser.parse_args()
    result = run(args.seconds, args.reps, args.plans, args.small_reps)
    print(json.dumps(result, indent=2, default=str))
    text = body(result)
    print(text)
    if not args.no_write:
        write_section("bench_isolation", "One organisation's volume, another's timeliness", text)


if __name__ == "__main__":
    main()
