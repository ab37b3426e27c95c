"""Faults during beacon ingestion (issue 8): the API server is killed with SIGKILL while
phones keep sending, then restarted. Every beacon it answered 204 must be folded; none may be
stored twice; the consumer then produces the same totals the phones last reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from scheduler import beat
from service.db import unit_of_work
from service.links import ShareLink, share_path, signer_for
from service.models import Role
from service.models.tracking import PageView
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.settings import Settings
from service.tracking import consumer
from service.tracking.events import open_store
from tests.live import free_port
from tests.scheduler.test_worker import OwnRedis, own_postgres, stack_on, wait_for
from tests.tracking.conftest import PHONE_UA, REDIS_URL, TOKEN_RE, redis_or_skip

ROOT = Path(__file__).resolve().parents[2]
PHONES, ROUNDS = 12, 8
BACKLOG = PHONES * 2_000  # beacons queued before the fold worker starts


class Server:
    """`momentcast run` (API only) in its own process, so it can be killed for real."""

    def __init__(self, settings: Settings, port: int, logs: Path) -> None:
        self.settings, self.port, self.logs = settings, port, logs
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        s = self.settings
        env = {**os.environ, **s.environment()}
        command = [sys.executable, "-c", "from service.cli import main; main()", "run"]
        command += ["--no-demo", "--no-worker", "--port", str(self.port)]
        command += ["--data-dir", str(s.data_dir)]
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.logs.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"the server did not start: {self.logs.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@dataclass
class Stream:
    """What the phones saw: the totals each view had accepted (204), and the refusals."""

    accepted: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    refused: Counter[str] = field(default_factory=Counter)  # status code or "no answer"
    down_for: float = 0.0  # seconds from the fault until the service was back

    @property
    def sent(self) -> int:
        return sum(len(totals) for totals in self.accepted.values())


def stream_beacons(
    server: Server, path: str, *, fault: Callable[[], None], repair: Callable[[], None]
) -> Stream:
    """PHONES phones open the share page and send ROUNDS rounds of growing totals; `fault`
    strikes before the middle round, `repair` two rounds later."""
    stream = Stream()
    phones = [
        httpx.Client(base_url=server.base, headers={"user-agent": PHONE_UA}) for _ in range(PHONES)
    ]
    tokens = [token_of(phone, path) for phone in phones]
    for round_ in range(1, ROUNDS + 1):
        if round_ == ROUNDS // 2:
            fault()
        if round_ == ROUNDS // 2 + 2:
            repaired = time.perf_counter()
            repair()
            stream.down_for = time.perf_counter() - repaired
        for phone, token in zip(phones, tokens, strict=True):
            total = round_ * 5_000
            body = {"t": token, "s": round_, "k": "hb", "v": total, "e": total, "d": 10, "x": {}}
            try:
                answer = phone.post(
                    "/t",
                    content=json.dumps(body),
                    headers={"content-type": "text/plain"},
                    timeout=3,
                )
            except httpx.HTTPError:
                stream.refused["no answer"] += 1
                continue
            if answer.status_code == 204:
                stream.accepted[token].append(total)
            else:
                stream.refused[str(answer.status_code)] += 1
    for phone in phones:
        phone.close()
    return stream


def assert_every_accepted_beacon_folded(
    settings: Settings, runtime: Runtime, stream: Stream
) -> tuple[int, int]:
    """Nothing accepted lost before the fold, nothing stored twice, and each view's totals
    are the last its phone had accepted. Returns (stored, views)."""
    store = open_store(settings, consumer="fault-test")
    stored = store.backlog()
    consumer.drain(runtime.sessions, store)
    store.close()
    assert stream.refused, "the fault struck between rounds nobody sent: the test proves nothing"
    assert stored == stream.sent
    with unit_of_work(runtime.sessions) as session:
        views = session.query(PageView).all()
        folded = sorted(view.visible_ms for view in views)
    assert len(views) == PHONES
    assert folded == sorted(max(totals) for totals in stream.accepted.values())
    return stored, len(views)


def beacon_settings(tmp_path: Path, port: int, events_url: str) -> Settings:
    return Settings(
        env="test", data_dir=tmp_path, secret_key="fault-test-key", **phones_at(port, events_url)
    )


def phones_at(port: int, events_url: str) -> dict[str, Any]:
    """Settings for a server on `port` whose phones send beacons into `events_url`."""
    return {
        "base_url": f"http://127.0.0.1:{port}",
        "events_url": events_url,
        "events_stream": f"momentcast:faults:{uuid.uuid4().hex}",
        # Phones here send totals faster than time passes, all from one address.
        "tracking_clock_margin_seconds": 3600,
        "tracking_ip_rate": 100_000,
        "tracking_ip_burst": 100_000,
    }


@pytest.mark.parametrize("events", ["journal", "redis"])
def test_killing_the_api_mid_stream_loses_no_accepted_beacon(tmp_path: Path, events: str) -> None:
    if events == "redis":
        redis_or_skip()
    port = free_port()
    settings = beacon_settings(tmp_path, port, REDIS_URL if events == "redis" else "")
    runtime = Runtime.build(settings)
    runtime.migrate()
    path = published_share_path(runtime)
    server = Server(settings, port, tmp_path / "server.log")
    server.start()
    try:  # mid-stream: some phones' beacons now hit a dead port
        stream = stream_beacons(server, path, fault=server.kill, repair=server.start)
    finally:
        server.stop()
    stored, views = assert_every_accepted_beacon_folded(settings, runtime, stream)
    runtime.engine.dispose()
    print(
        f"\n{events}: {stream.sent} beacons accepted, {dict(stream.refused)} refused while "
        f"down, {stored} stored (lost {stream.sent - stored}), {views} views folded; "
        f"API back in {stream.down_for:.1f} s"
    )


@pytest.mark.parametrize("graceful", [True, False], ids=["restart", "kill-9"])
def test_restarting_redis_mid_stream_loses_no_accepted_beacon(
    tmp_path: Path, graceful: bool
) -> None:
    """Redis as docker-compose runs it (append-only file) is restarted, or killed with SIGKILL,
    while phones send: the API answers 503 while it is down, never 500, and keeps every
    beacon it accepted (Redis writes the file before it answers; only a crash of the whole
    machine could lose the last second, which fsync every second leaves open)."""
    redis_or_skip()
    own = OwnRedis(tmp_path, appendonly=True)
    own.start()
    port = free_port()
    settings = beacon_settings(tmp_path, port, own.url)
    runtime = Runtime.build(settings)
    runtime.migrate()
    path = published_share_path(runtime)
    server = Server(settings, port, tmp_path / "server.log")
    server.start()
    try:
        stream = stream_beacons(
            server, path, fault=lambda: own.stop(graceful=graceful), repair=own.start
        )
        stored, views = assert_every_accepted_beacon_folded(settings, runtime, stream)
    finally:
        server.stop()
        own.stop()
    runtime.engine.dispose()
    assert set(stream.refused) == {"503"}
    print(
        f"\nRedis {'restart' if graceful else 'kill -9'}: {stream.sent} beacons accepted, "
        f"{dict(stream.refused)} refused while down, {stored} stored "
        f"(lost {stream.sent - stored}), {views} views folded; "
        f"Redis back in {stream.down_for:.1f} s"
    )


def published_share_path(runtime: Runtime) -> str:
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug=f"faults-{uuid.uuid4().hex[:6]}")
        orgs_service.create_staff(
            session, org_id=org.id, email=f"e@{org.slug}.test", password="x" * 12, role=Role.EDITOR
        )
        rep = reps_service.create(session, org_id=org.id, data=RepCreate(name="张三"))
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=org.id,
            author_id=None,
            data=PostCreate(title="冬季上新", text="羊毛大衣到店啦，原价¥1299，本周¥899。"),
            uploads=[],
        )
        plans_service.publish(session, runtime.settings, post)
        link = ShareLink(org.id, post.id, rep.id)
        return share_path(signer_for(runtime.settings.secret_key), link)


def token_of(phone: httpx.Client, path: str) -> str:
    page = phone.get(path, follow_redirects=True)
    assert page.status_code == 200, page.text[:300]
    found = TOKEN_RE.search(page.text)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("events", ["journal", "redis"])
def test_killing_the_worker_mid_fold_loses_and_doubles_nothing(tmp_path: Path, events: str) -> None:
    """A real worker (with beat) folds a backlog of beacons and is killed with SIGKILL in the
    middle; a new worker (another consumer) finishes. Every view ends with exactly the
    maxima its phone sent: a batch folded but not acknowledged is folded again harmlessly."""
    if events == "redis":
        redis_or_skip()
    urls = (f"sqlite:///{tmp_path / 'db.sqlite'}", f"sqla+sqlite:///{tmp_path / 'broker.db'}")
    overrides: dict[str, Any] = {
        "events_url": REDIS_URL if events == "redis" else "",
        "events_stream": f"momentcast:faults:{uuid.uuid4().hex}",
        "tracking_claim_idle_seconds": 2.0,  # the dead worker's deliveries, taken over soon
    }
    with stack_on(*urls, tmp_path, **overrides) as stack:
        path = published_share_path(stack.runtime)
        for _ in range(PHONES):
            stack.client.cookies.clear()  # another phone
            assert stack.client.get(path, headers={"user-agent": PHONE_UA}).status_code == 200
        with unit_of_work(stack.runtime.sessions) as session:
            view_ids = [view.id for view in session.query(PageView).all()]
        assert len(view_ids) == PHONES
        store = open_store(stack.settings, consumer="phones")
        for seq in range(1, BACKLOG // PHONES + 1):
            for view_id in view_ids:
                store.append_now(
                    {"pv": view_id, "s": seq, "v": seq * 1000, "e": seq * 900, "d": seq % 101}
                    | {"x": {}, "at": float(seq)}
                )
        queued = store.backlog()
        assert queued == BACKLOG

        first = stack.start_worker(concurrency=1, beat=True)
        wait_for(lambda: store.backlog() < queued, seconds=120, what="the first batch folded")
        stack.kill(first)
        at_kill = store.backlog()
        assert at_kill > 0, "the fold finished before the kill; the test proves nothing"

        restarted = time.perf_counter()
        stack.start_worker(concurrency=1, beat=True)
        wait_for(lambda: store.backlog() == 0, seconds=180, what="the backlog folded")
        recovered = time.perf_counter() - restarted
        store.close()
        seqs = BACKLOG // PHONES
        with unit_of_work(stack.runtime.sessions) as session:
            folded = {
                (view.beacons, view.visible_ms, view.engaged_ms, view.max_scroll)
                for view in session.query(PageView).all()
            }
        assert folded == {(seqs, seqs * 1000, seqs * 900, 100)}
    print(
        f"\n{events}: worker killed with {queued - at_kill}/{queued} events folded; the new "
        f"worker folded the rest in {recovered:.1f} s; every view exact (0 lost, 0 doubled)"
    )


def test_postgres_crashing_mid_stream_loses_no_accepted_beacon(tmp_path: Path) -> None:
    """The database crashes while phones send and a worker folds: beacons are still accepted
    (they never need the database), the fold that runs into the dead database is retried,
    and once it is back every view gets exactly the totals its phone last sent."""
    redis_or_skip()
    port = free_port()
    with own_postgres() as own:

        def outage() -> None:
            own.crash()
            fold_every = beat.schedule(Settings())["tracking-fold-events"]["schedule"]
            time.sleep(fold_every + 2)  # long enough for a fold to run into the dead database

        with stack_on(own.url, REDIS_URL, tmp_path / "data", **phones_at(port, REDIS_URL)) as stack:
            path = published_share_path(stack.runtime)
            server = Server(stack.settings, port, tmp_path / "server.log")
            server.start()
            stack.start_worker(concurrency=1, beat=True)
            try:
                stream = stream_beacons(server, path, fault=outage, repair=own.start)
            finally:
                server.stop()
            back = time.perf_counter()
            store = open_store(stack.settings, consumer="probe")
            wait_for(lambda: store.backlog() == 0, seconds=120, what="the backlog folded")
            recovered = time.perf_counter() - back
            store.close()
            stack.runtime.engine.dispose()  # the test's own pool holds dead connections
            assert not stream.refused  # accepting a beacon never needs the database
            with unit_of_work(stack.runtime.sessions) as session:
                folded = sorted(view.visible_ms for view in session.query(PageView).all())
            assert folded == sorted(max(totals) for totals in stream.accepted.values())
            worker_log = (stack.logs / "w0.log").read_text(errors="replace")
            assert "OperationalError" in worker_log, "no fold met the dead database"
    print(
        f"\nPostgreSQL crash: {stream.sent} beacons accepted (none refused), all folded "
        f"{recovered:.1f} s after the restart, every view exact (0 lost, 0 doubled)"
    )
