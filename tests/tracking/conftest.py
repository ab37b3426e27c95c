"""Fixtures for read tracking: the service fixtures (SQLite and PostgreSQL), an event store
per test (the embedded journal, or a fresh Redis stream), viewers as separate cookie jars."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import unit_of_work
from service.links import ShareLink, share_path, signer_for
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.runtime import Runtime
from service.tracking import consumer
from service.tracking.events import EventStore, Journal, RedisStream
from service.tracking.ratelimit import TokenBuckets
from service.tracking.router import Gate
from tests.service import conftest as service_fixtures
from tests.service.conftest import IN_CI, Org, jpeg_bytes, migrated_runtime

# The service tests' fixtures, shared: SQLite and PostgreSQL, organisations, reps.
add_reps = service_fixtures.add_reps
cheap_password_hashing = service_fixtures.cheap_password_hashing
database_url = service_fixtures.database_url
make_org = service_fixtures.make_org
org = service_fixtures.org

REDIS_URL = os.environ.get("MOMENTCAST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) "
    "NetType/WIFI Language/zh_CN"
)
ARTICLE = (
    "宝宝的创造力，从日常小事开始。\n\n"
    "## 一、给孩子留白\n\n每天留出半小时无安排的自由时间，让孩子自己决定玩什么。\n\n"
    "## 二、提问比回答更重要\n\n多问“你觉得呢？”，少给标准答案。\n\n"
    "## 三、动手做\n\n积木、黏土、纸箱，都是最好的创造力教具。"
)
TOKEN_RE = re.compile(r'data-token="([^"]+)"')
CHILD_RE = re.compile(r'data-child="([^"]+)"')


@pytest.fixture(scope="session")
def runtime(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with migrated_runtime(
        database_url,
        tmp_path_factory.mktemp("tracking"),
        secret_key="tracking-test-key",
        # Tests send totals at once; the clamp has its own test with a tight margin.
        tracking_clock_margin_seconds=3600,
    ) as built:
        yield built


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Iterator[FastAPI]:
    built = create_app(runtime=runtime)
    with TestClient(built):  # runs the lifespan once
        yield built


@pytest.fixture
def staff_client(app: FastAPI) -> TestClient:
    return TestClient(app)


def redis_or_skip() -> redis.Redis:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__}); start it")
    return client


@contextmanager
def wired(app: FastAPI, store: EventStore) -> Iterator[None]:
    """`store` behind the app's beacon endpoint, with the production per-view rate limit."""
    app.state.tracking = Gate(
        store=store,
        per_view=TokenBuckets(rate=1.0, burst=20),
        per_ip=TokenBuckets(rate=10_000, burst=10_000),  # every test phone is "testclient"
    )
    try:
        yield
    finally:
        app.state.tracking = None
        store.close()


@pytest.fixture(params=["journal", "redis"])
def store(request: pytest.FixtureRequest, app: FastAPI, tmp_path: Any) -> Iterator[EventStore]:
    """Each test gets an empty store of each kind, wired into the app's beacon endpoint."""
    if request.param == "journal":
        journal = Journal(tmp_path / "events.db")
        with wired(app, journal):
            yield journal
        return
    admin = redis_or_skip()
    stream = RedisStream(REDIS_URL, stream=f"momentcast:test:{uuid.uuid4().hex}", consumer="test")
    with wired(app, stream):
        yield stream
    admin.delete(stream.stream)
    admin.close()


@pytest.fixture
def journal(app: FastAPI, tmp_path: Any) -> Iterator[Journal]:
    built = Journal(tmp_path / "events.db")
    with wired(app, built):
        yield built


@dataclass
class Shared:
    org: Org
    post_id: int
    rep_id: int
    path: str  # the rep's share link path, /s/...
    rep_path: str  # the rep's personal page, /r/...


@pytest.fixture
def share(runtime: Runtime, org: Org, add_reps: Any) -> Callable[..., Shared]:
    """share(title=..., article=..., images=...) -> a published post and a new rep's link."""

    def build(
        *,
        title: str = "培养宝宝创造力的三个方法",
        article: str | None = ARTICLE,
        rep_name: str = "张晓雯",
        text: str = "周末亲子课报名中，名额有限。",
        images: int = 0,
    ) -> Shared:
        ((rep_id, rep_path),) = add_reps(org, [rep_name])
        with unit_of_work(runtime.sessions) as session:
            post = posts_service.create(
                session,
                runtime.storage,
                org_id=org.id,
                author_id=None,
                data=PostCreate(title=title, text=text, article=article),
                uploads=[
                    posts_service.Upload(f"{i}.jpg", jpeg_bytes(seed=i)) for i in range(images)
                ],
            )
            plans_service.publish(session, runtime.settings, post)
        signer = signer_for(runtime.settings.secret_key)
        link = ShareLink(org.id, post.id, rep_id)
        return Shared(org, post.id, rep_id, share_path(signer, link), rep_path)

    return build


class Viewer:
    """One phone: its own cookie jar and user agent."""

    def __init__(self, app: FastAPI, user_agent: str = PHONE_UA) -> None:
        self.http = TestClient(app, headers={"user-agent": user_agent})

    def open(self, path: str, **params: str) -> tuple[str | None, str | None]:
        """Open a landing page: (view token, child link path), None when not tracked."""
        response = self.http.get(path, params=params)
        assert response.status_code == 200, response.text
        token, child = TOKEN_RE.search(response.text), CHILD_RE.search(response.text)
        return (token.group(1) if token else None, child.group(1) if child else None)

    def beacon(self, t: str, **fields: Any) -> Any:
        body = {"t": t, "s": 1, "k": "hb", "v": 0, "e": 0, "d": 0, "x": {}} | fields
        return self.http.post(
            "/t", content=json.dumps(body), headers={"content-type": "text/plain"}
        )


@pytest.fixture
def viewer(app: FastAPI) -> Callable[..., Viewer]:
    return lambda user_agent=PHONE_UA: Viewer(app, user_agent)


def fold_all(runtime: Runtime, store: EventStore) -> int:
    return consumer.drain(runtime.sessions, store)
