"""The Redis stream path: a consumer group with acknowledgement after commit, so a dead
consumer's deliveries are claimed by another and concurrent consumers fold each event once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from service.runtime import Runtime
from service.tracking import consumer
from service.tracking.events import RedisStream
from tests.tracking.conftest import REDIS_URL, redis_or_skip


@pytest.fixture
def stream_name() -> Iterator[str]:
    admin = redis_or_skip()
    name = f"momentcast:test:{uuid.uuid4().hex}"
    yield name
    admin.delete(name)
    admin.close()


def open_views(share: Any, viewer: Any, count: int) -> tuple[Any, list[str]]:
    shared = share()
    return shared, [viewer().open(shared.path)[0] for _ in range(count)]


def totals(staff_client: Any, shared: Any) -> list[tuple[float, float | None, int]]:
    rows = staff_client.get(f"/api/posts/{shared.post_id}/views", headers=shared.org.manager).json()
    return [(r["visible_seconds"], r["engaged_seconds"], r["max_scroll_percent"]) for r in rows]


def test_a_dead_consumers_deliveries_are_claimed_and_folded(
    runtime: Runtime,
    share: Any,
    viewer: Any,
    staff_client: Any,
    stream_name: str,
) -> None:
    shared, _ = open_views(share, viewer, 1)
    producer = RedisStream(REDIS_URL, stream=stream_name, consumer="producer")
    producer.append_now(
        {
            "pv": _view_id(staff_client, shared),
            "s": 1,
            "v": 6000,
            "e": 5000,
            "d": 40,
            "x": {},
            "at": 1.0,
        }
    )
    dead = RedisStream(REDIS_URL, stream=stream_name, consumer="dead")
    assert len(dead.read(count=10)) == 1  # delivered, then the process died before acking
    dead.close()

    alive = RedisStream(REDIS_URL, stream=stream_name, consumer="alive")
    assert consumer.drain(runtime.sessions, alive) == 0  # not idle long enough to claim yet
    alive.claim_idle_ms = 0  # as if the dead consumer's delivery had waited a minute
    assert consumer.drain(runtime.sessions, alive) == 1
    assert totals(staff_client, shared) == [(6.0, 5.0, 40)]
    assert alive.backlog() == 0
    alive.close()
    producer.close()


def test_concurrent_consumers_fold_every_event_exactly_as_once(
    runtime: Runtime, share: Any, viewer: Any, staff_client: Any, stream_name: str
) -> None:
    shared = share()
    phones = [viewer() for _ in range(8)]
    tokens = [phone.open(shared.path)[0] for phone in phones]
    ids = _view_ids(staff_client, shared)
    producer = RedisStream(REDIS_URL, stream=stream_name, consumer="producer")
    for seq in range(1, 31):
        for pv in ids:
            producer.append_now(
                {
                    "pv": pv,
                    "s": seq,
                    "v": seq * 1000,
                    "e": seq * 900,
                    "d": min(100, seq * 3),
                    "x": {"s1": seq * 900},
                    "at": seq,
                }
            )
    errors: list[BaseException] = []

    def run(name: str) -> None:
        store = RedisStream(REDIS_URL, stream=stream_name, consumer=name)
        try:
            consumer.drain(runtime.sessions, store, batch=25)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            store.close()

    workers = [threading.Thread(target=run, args=(f"c{i}",)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert producer.backlog() == 0
    assert totals(staff_client, shared) == [(30.0, 27.0, 90)] * len(tokens)
    producer.close()


def _view_ids(staff_client: Any, shared: Any) -> list[int]:
    rows = staff_client.get(f"/api/posts/{shared.post_id}/views", headers=shared.org.manager).json()
    return [int(row["id"]) for row in rows]


def _view_id(staff_client: Any, shared: Any) -> int:
    (only,) = _view_ids(staff_client, shared)
    return only
