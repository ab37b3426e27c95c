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
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from service.db import unit_of_work
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
from service.tracking.links import ShareLink, share_path, signer_for
from tests.live import free_port
from tests.tracking.conftest import PHONE_UA, REDIS_URL, TOKEN_RE, redis_or_skip

ROOT = Path(__file__).resolve().parents[2]
PHONES, ROUNDS = 12, 8


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


@pytest.mark.parametrize("events", ["journal", "redis"])
def test_killing_the_api_mid_stream_loses_no_accepted_beacon(tmp_path: Path, events: str) -> None:
    if events == "redis":
        redis_or_skip()
    port = free_port()
    settings = Settings(
        env="test",
        data_dir=tmp_path,
        secret_key="fault-test-key",
        base_url=f"http://127.0.0.1:{port}",
        events_url=REDIS_URL if events == "redis" else "",
        events_stream=f"momentcast:faults:{uuid.uuid4().hex}",
        # Phones here send totals faster than time passes, all from one address.
        tracking_clock_margin_seconds=3600,
        tracking_ip_rate=100_000,
        tracking_ip_burst=100_000,
    )
    runtime = Runtime.build(settings)
    runtime.migrate()
    path = published_share_path(runtime)
    server = Server(settings, port, tmp_path / "server.log")
    server.start()
    accepted: dict[str, list[int]] = defaultdict(list)  # view token -> accepted totals (ms)
    refused = 0
    try:
        phones = [
            httpx.Client(base_url=server.base, headers={"user-agent": PHONE_UA})
            for _ in range(PHONES)
        ]
        tokens = [token_of(phone, path) for phone in phones]
        for round_ in range(1, ROUNDS + 1):
            if round_ == ROUNDS // 2:
                server.kill()  # mid-stream: some phones' beacons now hit a dead port
            if round_ == ROUNDS // 2 + 2:
                server.start()
            for phone, token in zip(phones, tokens, strict=True):
                total = round_ * 5_000
                body = {
                    "t": token,
                    "s": round_,
                    "k": "hb",
                    "v": total,
                    "e": total,
                    "d": 10,
                    "x": {},
                }
                try:
                    answer = phone.post(
                        "/t",
                        content=json.dumps(body),
                        headers={"content-type": "text/plain"},
                        timeout=3,
                    )
                except httpx.HTTPError:
                    refused += 1
                    continue
                if answer.status_code == 204:
                    accepted[token].append(total)
                else:
                    refused += 1
        for phone in phones:
            phone.close()
    finally:
        server.stop()
    store = open_store(settings, consumer="fault-test")
    stored = store.backlog()
    consumer.drain(runtime.sessions, store)
    store.close()
    sent = sum(len(totals) for totals in accepted.values())
    assert refused > 0, "the kill happened between rounds nobody sent: the test proves nothing"
    assert stored == sent  # nothing accepted was lost before the fold, nothing stored twice
    with unit_of_work(runtime.sessions) as session:
        views = {view.id: view for view in session.query(PageView).all()}
    assert len(views) == PHONES
    folded = sorted(view.visible_ms for view in views.values())
    assert folded == sorted(max(totals) for totals in accepted.values())
    runtime.engine.dispose()


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
