"""Tracking benchmark (issue 6): beacons per second into the real Redis stream, against an
empty FastAPI POST in the same server and run; p99 latency at 1,000 beacons/s; consumer lag.

    .venv/bin/python -m bench.bench_tracking [--seconds 8] [--connections 32]

The server is one uvicorn process (uvloop, httptools) serving the momentcast app plus an empty
`POST /bench/empty`; the load comes from a small asyncio HTTP/1.1 keep-alive client in this
process (no load tool is installed here), and the consumer folds in its own process, all on
the same 2 cores. Page views are created first, so every beacon carries a valid signed token.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from fastapi import FastAPI, Response

from bench._report import write_section
from bench._server import free_port, start_uvicorn
from service.app import create_app
from service.db import unit_of_work
from service.links import ShareLink, ViewToken, signer_for
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.settings import Settings
from service.tracking import consumer
from service.tracking import service as tracking_service
from service.tracking.events import RedisStream

REDIS_URL = "redis://127.0.0.1:6379/0"
KEY = "bench-tracking-key"


def app_factory() -> FastAPI:
    """The server side (run by uvicorn --factory): momentcast plus an empty POST endpoint."""
    app = create_app(Settings())

    @app.post("/bench/empty", status_code=204)
    async def empty() -> Response:
        return Response(status_code=204)

    return app


def prepare(runtime: Runtime, views: int) -> list[str]:
    """`views` page views of one shared post; their view tokens."""
    signer = signer_for(runtime.settings.secret_key)
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="bench-tracking", name="Bench")
        rep = reps_service.create(session, org_id=org.id, data=RepCreate(name="Bench rep"))
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=org.id,
            author_id=None,
            data=PostCreate(title="Bench", text="bench"),
            uploads=[],
        )
        plans_service.publish(session, runtime.settings, post)
        tokens = []
        link = ShareLink(org.id, post.id, rep.id)
        for i in range(views):
            opening = tracking_service.Opening(cookie_id=f"bench-{i}")
            viewer = tracking_service.identify(
                session, org_id=org.id, rep_id=rep.id, opening=opening
            )
            view = tracking_service.open_view(
                session, link=link, viewer=viewer, opening=opening, salt_key="bench"
            )
            tokens.append(signer.view_token(ViewToken(view.id, int(view.opened_at.timestamp()))))
    return tokens


def request_bytes(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: Mozilla/5.0 (iPhone) "
        f"MicroMessenger/8.0\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
    return status


@dataclass
class Load:
    done: int
    failed: int
    seconds: float
    latencies_ms: list[float]


async def closed_loop(
    port: int, requests: list[bytes], *, connections: int, seconds: float
) -> Load:
    """As fast as `connections` keep-alive connections go, for `seconds`."""
    stop = time.perf_counter() + seconds
    counts = {"done": 0, "failed": 0}

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        while time.perf_counter() < stop:
            status = await exchange(reader, writer, requests[i % len(requests)])
            counts["done" if status == 204 else "failed"] += 1
            i += connections
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(connections)))
    return Load(counts["done"], counts["failed"], time.perf_counter() - start, [])


async def open_loop(port: int, requests: list[bytes], *, rate: int, seconds: float) -> Load:
    """`rate` requests per second on a fixed schedule; latency from the scheduled time."""
    connections = max(8, rate // 20)
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    latencies: list[float] = []
    counts = {"done": 0, "failed": 0}

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for n in range(offset, total, connections):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status = await exchange(reader, writer, requests[n % len(requests)])
            latencies.append((time.perf_counter() - due) * 1000)
            counts["done" if status == 204 else "failed"] += 1
        writer.close()

    await asyncio.gather(*(worker(i) for i in range(connections)))
    return Load(counts["done"], counts["failed"], seconds, latencies)


def beacons(tokens: list[str], rounds: int) -> list[bytes]:
    return [
        request_bytes(
            "/t",
            json.dumps(
                {
                    "t": t,
                    "s": s,
                    "k": "hb",
                    "v": s * 5000,
                    "e": s * 4000,
                    "d": min(100, s * 9),
                    "x": {"copy": s * 1000, "s1": s * 3000},
                },
                separators=(",", ":"),
            ).encode(),
        )
        for s in range(1, rounds + 1)
        for t in tokens
    ]


def fold_forever(data_dir: str, stream: str, stop: Any, samples: Any, folded: Any) -> None:
    """The consumer, in its own process as the worker would be: fold, sample the backlog."""
    runtime = Runtime.build(Settings(data_dir=Path(data_dir), secret_key=KEY, env="test"))
    store = RedisStream(REDIS_URL, stream=stream, consumer="bench")
    while not stop.is_set():
        samples.append(store.backlog())
        folded.value += consumer.drain(runtime.sessions, store, max_batches=4)
        time.sleep(0.02)
    store.close()


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    options = ("--loop", "uvloop", "--http", "httptools")
    return start_uvicorn(
        "bench.bench_tracking:app_factory", port=port, env=env, log=log, options=options
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--views", type=int, default=2000)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).ping()
    stream = f"momentcast:bench:{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "MOMENTCAST_DATA_DIR": tmp,
            "MOMENTCAST_SECRET_KEY": KEY,
            "MOMENTCAST_ENV": "test",
            "MOMENTCAST_TRACKING_CLOCK_MARGIN_SECONDS": "86400",
            "MOMENTCAST_TRACKING_VIEW_RATE": "1000",  # many beacons per view, by design here
            "MOMENTCAST_TRACKING_VIEW_BURST": "100000",
            "MOMENTCAST_TRACKING_IP_RATE": "1000000",
            "MOMENTCAST_TRACKING_IP_BURST": "1000000",
            "MOMENTCAST_EVENTS_URL": REDIS_URL,
            "MOMENTCAST_EVENTS_STREAM": stream,
        }
        runtime = Runtime.build(Settings(data_dir=Path(tmp), secret_key=KEY, env="test"))
        runtime.migrate()
        tokens = prepare(runtime, args.views)
        port = free_port()
        server = start_server(env, port, Path(tmp) / "server.log")
        try:
            report = run_loads(runtime, port, tokens, stream, args)
        finally:
            server.terminate()
            server.wait(timeout=10)
            redis.Redis.from_url(REDIS_URL).delete(stream)
    print(report)
    write_section("bench_tracking", "Tracking: beacon ingest and folding", report)


def run_loads(
    runtime: Runtime, port: int, tokens: list[str], stream: str, args: argparse.Namespace
) -> str:
    empty = [request_bytes("/bench/empty", b'{"t":"x"}')]
    load = beacons(tokens, rounds=40)
    for warm_up in (empty, load):  # first requests open connections (also to Redis)
        asyncio.run(closed_loop(port, warm_up, connections=args.connections, seconds=1.0))
    base = asyncio.run(closed_loop(port, empty, connections=args.connections, seconds=args.seconds))
    ingest = asyncio.run(
        closed_loop(port, load, connections=args.connections, seconds=args.seconds)
    )
    redis.Redis.from_url(REDIS_URL).delete(stream)

    manager = multiprocessing.Manager()
    stop, samples, folded = manager.Event(), manager.list(), manager.Value("i", 0)
    folder = multiprocessing.Process(
        target=fold_forever, args=(str(runtime.settings.data_dir), stream, stop, samples, folded)
    )
    folder.start()
    paced = asyncio.run(open_loop(port, load[len(tokens) * 2 :], rate=1000, seconds=args.seconds))
    drained_at = time.perf_counter()
    backlog = RedisStream(REDIS_URL, stream=stream, consumer="probe")
    while backlog.backlog() and time.perf_counter() - drained_at < 60:
        time.sleep(0.05)
    drain_s = time.perf_counter() - drained_at
    stop.set()
    folder.join()
    backlog.close()
    sampled = list(samples)
    lat = sorted(paced.latencies_ms)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    base_rate, ingest_rate = base.done / base.seconds, ingest.done / ingest.seconds
    return (
        "| measurement | result | target |\n|---|---|---|\n"
        f"| empty FastAPI POST (same server, same run) | {base_rate:,.0f} req/s | |\n"
        f"| `POST /t` (validate, verify token, rate-limit, XADD) | {ingest_rate:,.0f} beacons/s"
        f" | |\n"
        f"| ratio | {ingest_rate / base_rate:.2f} | ≥ 0.5 |\n"
        f"| latency at 1,000 beacons/s, p50 / p99 / max | {p(0.5):.1f} / {p(0.99):.1f} / "
        f"{lat[-1]:.1f} ms | p99 ≤ 50 ms |\n"
        f"| consumer backlog during that load, median / max | "
        f"{statistics.median(sampled or [0]):,.0f} / {max(sampled or [0]):,} "
        f"events | |\n"
        f"| backlog gone after the load stopped | {drain_s:.2f} s | |\n\n"
        f"{args.connections} keep-alive connections for {args.seconds:.0f} s per closed-loop "
        f"run; the paced run sent {paced.done:,} beacons ({paced.failed} refused) to "
        f"{len(tokens):,} page views while the consumer folded {folded.value:,} events "
        f"(batches of up to 500, one commit each, SQLite). Non-204 answers in the closed "
        f"runs: empty {base.failed}, ingest {ingest.failed}. Server, load generator and "
        "consumer share the machine's 2 cores (with other work running)."
    )


if __name__ == "__main__":
    main()
