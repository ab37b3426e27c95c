"""Sustained mixed load (issue 8): rep page opens, share landing pages, tracker beacons and a
manager's dashboard reads at a fixed rate for ten minutes; throughput, p50/p99, errors, and
whether the server's memory stays flat.

    .venv/bin/python -m bench.bench_load [--seconds 600] [--rate 100] [--reps 200] [--no-write]

The server is production's command (`uvicorn service.app:create_app --factory`), one process,
on PostgreSQL (a fresh schema, dropped afterwards) with the beacons going into a Redis stream.
The periodic jobs run as production's worker with `--beat` runs them: one process calling the
Celery tasks' functions (fold beacons, rebuild dashboard roll-ups, recompute tags) at the
intervals in `scheduler/beat.py`. The load is open loop: request n is due at n / rate seconds
whatever happened before, each on its own keep-alive connection from a pool, and its latency
is counted from when it was due. Every copy (text and images) is made before the load starts,
so rep and landing pages measure page serving, not copy generation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, select

from bench._report import write_section
from bench._server import free_port, start_uvicorn
from bench.bench_scheduler import schema
from bench.bench_service import nine_images
from service import engines
from service.auth import service as auth_service
from service.db import unit_of_work
from service.links import ShareLink, ViewToken, share_path, signer_for
from service.models import Copy, Role
from service.models.tracking import PageView, Viewer
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.security import RepLink
from service.settings import Settings
from service.tracking import service as tracking_service

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
KEY = "bench-load-secret-key-0123456789abcdef"
TEAM_SIZE = 50
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI"
)
DESKTOP_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15"
TOKEN_RE = re.compile(rb'data-token="([^"]+)"')
CHILD_RE = re.compile(rb'data-child="([^"]+)"')
COOKIE_RE = re.compile(r"mc_viewer=([^;]+)")

# The mix, in per cent of all requests. A landing open by a new viewer is one operation of two
# HTTP exchanges (the redirect to their own link, then the page), timed together.
MIX = {
    "beacon `POST /t`": 50,
    "rep page `GET /r/{token}`": 15,
    "share landing `GET /s/{token}`": 15,
    "dashboard: campaign `/admin/dashboard`": 7,
    "dashboard: post detail page": 7,
    "dashboard: viewers JSON `/api/dashboard/viewers`": 6,
}
BEACON, REP, LANDING, CAMPAIGN, POST, VIEWERS = MIX
RETURNING = 0.25  # landing opens by a viewer who was here before (cookie, own link)
FORWARDED = 0.2  # new viewers arriving on another viewer's link rather than the rep's
BEACONS_PER_VIEW = (2, 6)  # load, heartbeats, pagehide: a ~45 s read sends about four
POOL_SIZE = 128  # keep-alive connections at most
IDLE_LIMIT_S = 4.0  # uvicorn closes idle keep-alive connections after 5 s
TIMEOUT_S = 30.0


# --- data -----------------------------------------------------------------------------------


@dataclass
class Data:
    """What the load needs, all prepared through the service functions."""

    org_id: int
    manager_token: str
    post_ids: list[int]
    rep_paths: list[str]  # /r/{token}
    share_paths: list[str]  # /s/{token} of every (post, rep)
    seed_views: list[str]  # view tokens of page views opened before the load
    copies: int
    images: int
    setup_s: float


def prepare(runtime: Runtime, *, reps: int, images: int, seed_views: int) -> Data:
    started = time.perf_counter()
    signer = signer_for(runtime.settings.secret_key)
    texts = sorted((ROOT / "samples" / "posts").glob("0[1-3]-*.txt"))
    uploads = nine_images()
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="bench-load", name="基准品牌")
        manager = orgs_service.create_staff(
            session, org_id=org.id, email="m@bench-load.test", password="x" * 12, role=Role.MANAGER
        )
        rep_rows = [
            reps_service.create(
                session, org_id=org.id, data=RepCreate(name=f"导购{i}", team=f"{i // TEAM_SIZE}店")
            )
            for i in range(reps)
        ]
        rep_paths = [
            "/r/" + runtime.signer.rep_token(RepLink(org.id, rep.id, rep.link_nonce))
            for rep in rep_rows
        ]
        rep_ids = [rep.id for rep in rep_rows]
        post_ids = []
        for n, path in enumerate(texts):
            post = posts_service.create(
                session,
                runtime.storage,
                org_id=org.id,
                author_id=None,
                data=PostCreate(
                    title=path.stem,
                    text=path.read_text(encoding="utf-8"),
                    article="## 一\n\n甲\n\n## 二\n\n乙\n\n## 三\n\n丙",
                ),
                uploads=[uploads[(n * images + i) % len(uploads)] for i in range(images)],
            )
            plans_service.publish(session, runtime.settings, post)  # env=test: nothing queued
            post_ids.append(post.id)
        token = auth_service.start(session, runtime.signer, manager)
        org_id = org.id
    engines.set_image_threads(1)
    for post_id in post_ids:  # what the copy workers do after publishing
        plans_service.generate(
            runtime.sessions, runtime.storage, org_id=org_id, post_id=post_id, rep_ids=rep_ids
        )
    share_paths = [
        share_path(signer, ShareLink(org_id, post_id, rep_id))
        for post_id in post_ids
        for rep_id in rep_ids
    ]
    views = []
    with unit_of_work(runtime.sessions) as session:
        for i in range(seed_views):
            rep_id, post_id = rep_ids[i % len(rep_ids)], post_ids[i % len(post_ids)]
            opening = tracking_service.Opening(cookie_id=f"seed-{i}")
            viewer = tracking_service.identify(
                session, org_id=org_id, rep_id=rep_id, opening=opening
            )
            view = tracking_service.open_view(
                session,
                link=ShareLink(org_id, post_id, rep_id),
                viewer=viewer,
                opening=opening,
                salt_key=KEY,
            )
            views.append(signer.view_token(ViewToken(view.id, int(view.opened_at.timestamp()))))
        copies = session.scalar(select(func.count()).select_from(Copy)) or 0
    return Data(
        org_id,
        token,
        post_ids,
        rep_paths,
        share_paths,
        views,
        copies,
        images,
        time.perf_counter() - started,
    )


# --- HTTP on loopback -----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    used: float


def request_bytes(
    method: str, path: str, *, agent: str, cookie: str = "", body: bytes = b""
) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {agent}\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    if method == "POST":
        head += f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    cookies = []
    for line in head[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookies.append(value)
        elif name:
            headers[name] = value
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        body = b"".join(parts)
    else:
        body = b""
    return Answer(int(head[0][9:12]), headers, cookies, body)


class Pool:
    """Keep-alive connections to the server; a new one whenever none is idle (≤ POOL_SIZE)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[Connection] = []
        self.slots = asyncio.Semaphore(POOL_SIZE)
        self.opened = 0

    async def send(self, raw: bytes) -> Answer:
        async with self.slots:
            loop = asyncio.get_running_loop()
            connection = self.idle.pop() if self.idle else None
            if connection is not None and loop.time() - connection.used > IDLE_LIMIT_S:
                connection.writer.close()  # the server may be closing it right now
                connection = None
            if connection is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                connection, self.opened = Connection(reader, writer, 0.0), self.opened + 1
            try:
                connection.writer.write(raw)
                answer = await asyncio.wait_for(read_answer(connection.reader), TIMEOUT_S)
            except BaseException:
                connection.writer.close()
                raise
            if answer.headers.get("connection", "").lower() == "close":
                connection.writer.close()
            else:
                connection.used = loop.time()
                self.idle.append(connection)
            return answer

    def close(self) -> None:
        for connection in self.idle:
            connection.writer.close()


# --- the load -------------------------------------------------------------------------------


@dataclass
class LiveView:
    token: str
    page_view_id: int
    opened: float  # monotonic, when this client got the page
    planned: int  # beacons it will send
    seq: int = 0


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    error_kinds: Counter[str] = field(default_factory=Counter)  # "503", "ConnectionResetError"
    accepted: int = 0  # beacons answered 204
    accepted_seq: dict[int, int] = field(default_factory=dict)  # page view -> highest seq
    samples: list[tuple[float, dict[str, int], int]] = field(default_factory=list)
    seconds: float = 0.0
    connections: int = 0


class Load:
    """The operations of the mix and the state they share (one event loop, no locks)."""

    def __init__(self, data: Data, pool: Pool, results: Results, seed: int = 8) -> None:
        self.data, self.pool, self.results = data, pool, results
        self.rng = random.Random(seed)
        signer, now = signer_for(KEY), time.monotonic()
        seeds = [signer.read_view_token(token) for token in data.seed_views]
        self.seeds = deque(
            LiveView(token, seed.page_view_id, now - (time.time() - seed.opened_at), 10**6)
            for token, seed in zip(data.seed_views, seeds, strict=True)
        )
        self.live: deque[LiveView] = deque()
        self.returning: list[tuple[str, str]] = []  # (cookie, own link) of past viewers
        self.manager = f"mc_session={data.manager_token}"
        self.operations = {
            BEACON: self.beacon,
            REP: lambda: self.get(self.rng.choice(data.rep_paths), PHONE_UA),
            LANDING: self.landing,
            CAMPAIGN: lambda: self.get("/admin/dashboard", DESKTOP_UA, self.manager),
            POST: lambda: self.get(
                f"/admin/dashboard/posts/{self.rng.choice(data.post_ids)}",
                DESKTOP_UA,
                self.manager,
            ),
            VIEWERS: lambda: self.get("/api/dashboard/viewers", DESKTOP_UA, self.manager),
        }
        assert set(self.operations) == set(MIX)

    async def run(self, kind: str) -> bool:
        return await self.operations[kind]()

    async def get(self, path: str, agent: str, cookie: str = "") -> bool:
        answer = await self.pool.send(request_bytes("GET", path, agent=agent, cookie=cookie))
        return self.ok(answer)

    def ok(self, answer: Answer) -> bool:
        if 200 <= answer.status < 400:
            return True
        self.results.error_kinds[str(answer.status)] += 1
        return False

    async def landing(self) -> bool:
        rng = self.rng
        if self.returning and rng.random() < RETURNING:
            cookie, path = rng.choice(self.returning)
            return await self.open_page(path, cookie)
        path = rng.choice(self.data.share_paths)
        if self.returning and rng.random() < FORWARDED:
            path = rng.choice(self.returning)[1]  # a forwarded viewer's link
        first = await self.pool.send(request_bytes("GET", path, agent=PHONE_UA))
        if first.status != 302:  # a new viewer is always sent to their own link first
            self.results.error_kinds[f"landing {first.status} instead of 302"] += 1
            return False
        found = next((m for c in first.cookies if (m := COOKIE_RE.match(c))), None)
        target = first.headers.get("location", "")
        if found is None or not target:
            self.results.error_kinds["302 without cookie or location"] += 1
            return False
        return await self.open_page(target, f"mc_viewer={found.group(1)}")

    async def open_page(self, path: str, cookie: str) -> bool:
        answer = await self.pool.send(request_bytes("GET", path, agent=PHONE_UA, cookie=cookie))
        if not self.ok(answer):
            return False
        token, child = TOKEN_RE.search(answer.body), CHILD_RE.search(answer.body)
        if token is None or child is None:
            self.results.error_kinds["landing page without a view token"] += 1
            return False
        view_token = token.group(1).decode()
        page_view_id = signer_for(KEY).read_view_token(view_token).page_view_id
        planned = self.rng.randint(*BEACONS_PER_VIEW)
        self.live.append(LiveView(view_token, page_view_id, time.monotonic(), planned))
        if len(self.returning) < 5000:
            self.returning.append((cookie, child.group(1).decode()))
        return True

    async def beacon(self) -> bool:
        """The next beacon of the oldest reader still on a page (a seeded view if none is)."""
        if self.live:
            view = self.live.popleft()
        else:  # a seeded view stays in rotation, so even a slow server never runs out of them
            view = self.seeds[0]
            self.seeds.rotate(-1)
        view.seq += 1
        visible = int((time.monotonic() - view.opened) * 1000)
        body = {
            "t": view.token,
            "s": view.seq,
            "k": "load" if view.seq == 1 else "pagehide" if view.seq == view.planned else "hb",
            "v": visible,
            "e": visible * 4 // 5,
            "d": min(100, view.seq * 20),
            "x": {"copy": visible // 5, "s1": visible // 3},
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        try:
            answer = await self.pool.send(request_bytes("POST", "/t", agent=PHONE_UA, body=raw))
        finally:
            if view.seq < view.planned < 10**6:
                self.live.append(view)
        if answer.status != 204:
            self.results.error_kinds[f"beacon {answer.status}"] += 1
            return False
        self.results.accepted += 1
        seen = self.results.accepted_seq.get(view.page_view_id, 0)
        self.results.accepted_seq[view.page_view_id] = max(seen, view.seq)
        return True


def rss_kb(pid: int) -> int:
    """Resident memory of `pid` and its children (VmRSS), in kB; 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        total = int(next(line.split()[1] for line in status.splitlines() if "VmRSS" in line))
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_kb(int(child))
        return total
    except (OSError, StopIteration, ValueError):
        return 0


async def drive(
    load: Load, *, rate: float, seconds: float, pids: dict[str, int], stream: str, every: float
) -> None:
    """Open loop: request n is due at start + n / rate; latency counts from when it was due."""
    loop = asyncio.get_running_loop()
    results, kinds, weights = load.results, list(MIX), list(MIX.values())
    backlog = redis.Redis.from_url(REDIS_URL)
    start = loop.time() + 0.2
    pending: set[asyncio.Task[None]] = set()

    async def one(kind: str, due: float) -> None:
        try:
            ok = await load.run(kind)
        except Exception as exc:  # every due request is counted: a failure is an error, not a gap
            results.error_kinds[type(exc).__name__] += 1
            ok = False
        results.latencies[kind].append((loop.time() - due) * 1000)
        if not ok:
            results.errors[kind] += 1

    async def sample() -> None:
        while True:
            at = loop.time() - start
            rss = {name: rss_kb(pid) for name, pid in pids.items()}
            results.samples.append((at, rss, int(backlog.xlen(stream))))
            if at >= 60 and int(at) // 60 != int(at - every) // 60:  # progress, once a minute
                done = sum(len(found) for found in results.latencies.values())
                memory = ", ".join(f"{kb / 1024:.0f} MB" for kb in rss.values())
                print(
                    f"{at:5.0f} s: {done:,} done, {sum(results.errors.values())} errors, "
                    f"RSS {memory}",
                    flush=True,
                )
            await asyncio.sleep(every)

    sampler = loop.create_task(sample())
    for n in range(int(rate * seconds)):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = loop.create_task(one(load.rng.choices(kinds, weights)[0], start + n / rate))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    results.seconds = loop.time() - start
    sampler.cancel()
    results.samples.append((results.seconds, {name: rss_kb(pid) for name, pid in pids.items()}, 0))
    results.connections = load.pool.opened
    load.pool.close()
    backlog.close()


# --- the server and the periodic jobs ------------------------------------------------------


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Production's command (Dockerfile), with one process and no access log."""
    return start_uvicorn(
        "service.app:create_app", port=port, env=env, log=log, options=("--workers", "1")
    )


JOBS = ("tracking.fold_events", "dashboard.refresh_rollups", "tracking.recompute_tags")


def run_jobs(
    env: dict[str, str],
    seconds: float,
    settle_cycles: int,
    ready: Any,
    stop: Any,
    consumed: Any,
    report: Any,
) -> None:
    """The beat worker's periodic jobs that concern this load, at beat's intervals. The worker
    has been up a while: each job runs once before the load (loading what it loads), then
    first after min(interval, half the run), so a ten-minute run sees the ten-minute tag job
    once; at the end, one last fold of everything still queued. Then, on data that no longer
    grows, every job back to back `settle_cycles` times, with this process's memory after each
    cycle: flat there means what grew during the load followed the data, not the runs."""
    os.environ.update(env)
    # Imported here: the Celery app reads Settings() from the environment at import.
    from scheduler import tracking_tasks
    from scheduler.beat import schedule

    every = {spec["task"]: spec["schedule"] for spec in schedule(Settings()).values()}
    tasks = {
        "tracking.fold_events": tracking_tasks.fold_events,
        "dashboard.refresh_rollups": tracking_tasks.refresh_rollups,
        "tracking.recompute_tags": tracking_tasks.recompute_tags,
    }
    for name in JOBS:
        tasks[name]()
    ready.set()
    started = time.monotonic()
    due = {name: started + min(every[name], seconds / 2) for name in JOBS}
    spent: dict[str, list[float]] = {name: [] for name in JOBS}
    while not stop.is_set():
        for name in JOBS:
            if time.monotonic() >= due[name]:
                began = time.monotonic()
                done = tasks[name]()
                spent[name].append(time.monotonic() - began)
                due[name] = began + every[name]
                if name == "tracking.fold_events":
                    consumed.value += done
        stop.wait(0.1)
    while done := tracking_tasks.fold_events():
        consumed.value += done
    settled = []
    for _ in range(settle_cycles):
        for name in JOBS:
            tasks[name]()
        settled.append(rss_kb(os.getpid()))
    report.put(
        (
            {name: (len(t), sum(t), max(t, default=0.0)) for name, t in spent.items()},
            settled,
        )
    )


# --- numbers --------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} s"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points, per unit of x."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    return 60 * slope(points)


def memory_rows(samples: list[tuple[float, dict[str, int], int]], seconds: float) -> list[str]:
    window = min(60.0, seconds / 3)  # "the first minute" of a short trial run is its first third
    rows = []
    for name in samples[0][1]:
        points = [(t, rss[name] / 1024) for t, rss, _ in samples if rss[name]]
        if not points:
            continue
        first = [mb for t, mb in points if t < window]
        last = [mb for t, mb in points if t >= seconds - window]
        growth = slope_per_minute([(t, mb) for t, mb in points if t >= window])
        rows.append(
            f"| {name} | {statistics.fmean(first or [0]):.1f} MB | "
            f"{statistics.fmean(last or [0]):.1f} MB | {max(mb for _, mb in points):.1f} MB | "
            f"{growth:+.2f} MB/min | {growth * (seconds - window) / 60:+.1f} MB |"
        )
    return rows


def load_table(results: Results, rate: float) -> list[str]:
    lines = [
        "| request | share | done | throughput | p50 | p99 | max | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    every: list[float] = []
    for kind, share in MIX.items():
        found = results.latencies.get(kind, [])
        every += found
        lines.append(
            f"| {kind} | {share} % | {len(found):,} | {len(found) / results.seconds:.1f}/s | "
            f"{pct(found, 0.5):.1f} ms | {pct(found, 0.99):.1f} ms | {max(found, default=0):.0f}"
            f" ms | {results.errors[kind]} |"
        )
    lines.append(
        f"| **all** (target {rate:g}/s) | 100 % | {len(every):,} | "
        f"**{len(every) / results.seconds:.1f}/s** | {pct(every, 0.5):.1f} ms | "
        f"**{pct(every, 0.99):.1f} ms** | {max(every, default=0):.0f} ms | "
        f"**{sum(results.errors.values())}** |"
    )
    return lines


def settle_line(settled: list[int], views: int) -> str:
    """What the jobs process did on constant data after the load."""
    if not settled:
        return "Jobs on constant data after the load: not run (`--settle-cycles 0`)."
    mb = [kb / 1024 for kb in settled]
    half = mb[len(mb) // 2 :]
    per_cycle = slope([(float(n), value) for n, value in enumerate(half)])
    return (
        f"Jobs process on constant data after the load ({views:,} page views): every job back "
        f"to back {len(mb)} times — VmRSS {mb[0]:.1f} MB after the first cycle, "
        f"{mb[-1]:.1f} MB after the last, peak {max(mb):.1f} MB; second half "
        f"{per_cycle * 1024:+.0f} kB per cycle (least squares)."
    )


@dataclass
class Integrity:
    consumed: int
    mismatched: int
    backlog: int
    pending: int
    views: int
    viewers: int


def check_folded(runtime: Runtime, results: Results, consumed: int, stream: str) -> Integrity:
    """Beacons answered 204 against events the fold consumed, and each view's folded sequence
    number against the highest one it had accepted."""
    client = redis.Redis.from_url(REDIS_URL)
    backlog = int(client.xlen(stream))
    pending = int(client.xpending(stream, "fold")["pending"]) if backlog else 0
    client.close()
    mismatched = 0
    with runtime.sessions() as session:
        ids = list(results.accepted_seq)
        for start in range(0, len(ids), 1000):
            rows = session.execute(
                select(PageView.id, PageView.beacons).where(
                    PageView.id.in_(ids[start : start + 1000])
                )
            )
            mismatched += sum(beacons != results.accepted_seq[pv] for pv, beacons in rows)
        views = session.scalar(select(func.count()).select_from(PageView)) or 0
        viewers = session.scalar(select(func.count()).select_from(Viewer)) or 0
    return Integrity(consumed, mismatched, backlog, pending, views, viewers)


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--images", type=int, default=1, help="images per post (≤ 9)")
    parser.add_argument(
        "--seed-views", type=int, default=300, help="page views opened before the load (≥ 1)"
    )
    parser.add_argument(
        "--settle-cycles",
        type=int,
        default=40,
        help="after the load, run every periodic job back to back this often on constant data",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, no BENCHMARKS.md")
    args = parser.parse_args()
    if args.seed_views < 1 or not 1 <= args.images <= 9:
        parser.error("--seed-views must be at least 1 and --images 1 to 9")
    redis.Redis.from_url(REDIS_URL).ping()
    load_average = os.getloadavg()[0]
    stream = f"momentcast:bench-load:{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp, schema() as database_url:
        port = free_port()
        settings = Settings(
            env="test",
            data_dir=Path(tmp),
            database_url=database_url,
            secret_key=KEY,
            base_url=f"http://127.0.0.1:{port}",
            events_url=REDIS_URL,
            events_stream=stream,
            image_threads=1,
            # Every phone here is 127.0.0.1: the per-address limit would refuse the whole load.
            tracking_ip_rate=1_000_000,
            tracking_ip_burst=1_000_000,
        )
        runtime = Runtime.build(settings)
        runtime.migrate()
        print("preparing: reps, posts, every copy, seeded page views ...", flush=True)
        data = prepare(runtime, reps=args.reps, images=args.images, seed_views=args.seed_views)
        print(f"prepared {data.copies} copies in {data.setup_s:.0f} s; load starts", flush=True)
        env = {**os.environ, **settings.environment()}
        server = start_server(env, port, Path(tmp) / "server.log")
        spawn = multiprocessing.get_context("spawn")  # nothing of this process's pools shared
        ready, stop = spawn.Event(), spawn.Event()
        consumed, report = spawn.Value("q", 0), spawn.Queue()
        jobs = spawn.Process(
            target=run_jobs,
            args=(env, args.seconds, args.settle_cycles, ready, stop, consumed, report),
        )
        jobs.start()
        try:
            if not ready.wait(timeout=600):
                raise SystemExit("the periodic jobs did not start")
            results = Results()
            assert jobs.pid is not None
            pids = {"API server (uvicorn, 1 process)": server.pid, "beat worker's jobs": jobs.pid}
            asyncio.run(
                drive(
                    Load(data, Pool(port), results),
                    rate=args.rate,
                    seconds=args.seconds,
                    pids=pids,
                    stream=stream,
                    every=min(10.0, max(1.0, args.seconds / 20)),
                )
            )
            stop.set()
            job_stats, settled = report.get(timeout=300 + 60 * args.settle_cycles)
            jobs.join(timeout=60)
            integrity = check_folded(runtime, results, consumed.value, stream)
        finally:
            stop.set()
            if jobs.is_alive():
                jobs.terminate()
            server.terminate()
            server.wait(timeout=15)
            redis.Redis.from_url(REDIS_URL).delete(stream)
            runtime.engine.dispose()
        log_tail = (Path(tmp) / "server.log").read_text()[-2000:]
    body = render(args, data, results, integrity, job_stats, settled, load_average)
    print(body)
    if log_tail.strip():
        print(f"\nserver log (tail):\n{log_tail}")
    if not args.no_write:
        write_section("bench_load", "Sustained mixed load (issue 8)", body)


def render(
    args: argparse.Namespace,
    data: Data,
    results: Results,
    integrity: Integrity,
    job_stats: dict[str, tuple[int, float, float]],
    settled: list[int],
    load_average: float,
) -> str:
    backlog = [b for _, _, b in results.samples]
    lost = max(0, results.accepted - integrity.consumed)
    duplicates = max(0, integrity.consumed - results.accepted)
    jobs = "; ".join(
        f"`{name}` ran {runs}× (mean {total / max(runs, 1) * 1000:.0f} ms, max "
        f"{longest * 1000:.0f} ms)"
        for name, (runs, total, longest) in job_stats.items()
    )
    refused = ", ".join(f"{k} × {n}" for k, n in results.error_kinds.most_common()) or "none"
    window = min(60.0, args.seconds / 3)
    return "\n".join(
        [
            f"{duration(args.seconds)} at a target of **{args.rate:g} requests/s**, open "
            f"loop, on loopback; load average {load_average:.1f} when the run started.",
            "",
            *load_table(results, args.rate),
            "",
            f"Errors (non-2xx/3xx answers and connection failures): {refused}.",
            "",
            "| memory (VmRSS, with children) | first minute | last minute | peak | growth "
            "after warm-up (least squares) | over the rest of the run |",
            "|---|---|---|---|---|---|",
            *memory_rows(results.samples, results.seconds),
            "",
            f'Sampled every {min(10.0, max(1.0, args.seconds / 20)):g} s; "first/last '
            f'minute" are the means of the samples in the first/last {window:.0f} s; the fit '
            f"leaves out the first {window:.0f} s (warm-up) and is extrapolated over the rest "
            "of the run in the last column. Target: flat.",
            "",
            settle_line(settled, integrity.views),
            "",
            f"Beacons: **{results.accepted:,} accepted (204)**, {integrity.consumed:,} consumed "
            f"by the fold: **{lost} lost, {duplicates} delivered twice**; "
            f"{integrity.mismatched} of {len(results.accepted_seq):,} page views folded to a "
            f"different sequence number than the highest they had accepted; stream left after "
            f"the last fold: {integrity.backlog} ({integrity.pending} unacknowledged). Backlog "
            f"during the load: median {statistics.median(backlog or [0]):,.0f}, max "
            f"{max(backlog or [0]):,} events. Periodic jobs: {jobs}.",
            "",
            f"Data: 1 organisation, {args.reps} reps, 3 published posts with {data.images} "
            f"image(s) each, {data.copies} copies made **before** the load (in "
            f"{data.setup_s:.0f} s with one image thread, not measured), "
            f"{len(data.seed_views)} page views opened beforehand; after the load "
            f"{integrity.views:,} page views and {integrity.viewers:,} viewers. "
            f"{results.connections} keep-alive connections were opened.",
            "",
            NOTES,
        ]
    )


NOTES = """\
How the load is made:

- Server: `uvicorn service.app:create_app --factory --workers 1` (the Dockerfile's command,
  one process, access log off), PostgreSQL in a fresh schema, beacons into a Redis stream;
  `MOMENTCAST_ENV=test`, and the per-address beacon limit lifted because every phone here is
  127.0.0.1 (the per-view limit is production's).
- Periodic jobs: a separate process calls the Celery tasks `tracking.fold_events`,
  `dashboard.refresh_rollups` and `tracking.recompute_tags` at `scheduler/beat.py`'s intervals
  (5 s, 60 s, 600 s), as the worker started with `--beat` does; its memory is shown too. Each
  ran once before the load (a worker that has been up a while), the tag job then once in the
  middle of the run. The server starts cold with the load.
- Rep page: a random rep's personal link, a phone's user agent (3 posts, copies exist).
- Share landing: a new viewer on a rep's link (75 %; a fifth of them on another viewer's link)
  is the redirect to their own link plus the page, timed together; a returning viewer (25 %)
  opens their own link with their cookie. The page's images are not fetched.
- Beacons: each landing page opened during the load sends 2-6 beacons (`load`, `hb`…,
  `pagehide`) carrying its real view token and running totals; when no reader is waiting, the
  page views opened before the load send them.
- Dashboard: a manager's login cookie on the campaign overview, a post's detail page and the
  viewers JSON (newest 50), in turn by weight.
- The load generator (asyncio, raw HTTP/1.1, one process), the server, the jobs, PostgreSQL
  and Redis share the machine's 2 cores."""


if __name__ == "__main__":
    main()
