"""Where accepted beacons wait for the consumer: a Redis stream in production, a SQLite journal
file in the embedded default. Both deliver at least once until acknowledged, and the consumer
acknowledges only after its database commit; folding is idempotent, so a redelivery after a
crash changes nothing and nothing is lost.

Neither store is the application database: accepting a beacon never touches it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis

from service.settings import Settings

STREAM = "momentcast:events"
GROUP = "fold"
CLAIM_IDLE_SECONDS = 60.0  # a delivery unacknowledged this long belongs to a dead consumer


class StoreUnavailable(Exception):
    """The store could not take an event (Redis down, journal locked): it was not accepted."""


@dataclass(frozen=True)
class Delivery:
    id: str
    event: dict[str, Any]


class EventStore(Protocol):
    async def append(self, event: dict[str, Any]) -> None: ...
    def append_now(self, event: dict[str, Any]) -> None: ...  # outside an event loop
    def read(self, *, count: int) -> list[Delivery]: ...
    def ack(self, ids: Sequence[str]) -> None: ...
    def backlog(self) -> int: ...
    def purge(self, *, older_than: float) -> int: ...
    def close(self) -> None: ...


def open_store(settings: Settings, *, consumer: str | None = None) -> EventStore:
    """The store `settings` choose: events_url redis://... or the journal under data_dir."""
    if settings.events_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStream(
            settings.events_url,
            consumer=consumer,
            stream=settings.events_stream,
            claim_idle_seconds=settings.tracking_claim_idle_seconds,
        )
    if settings.events_url:
        raise ValueError(
            f"MOMENTCAST_EVENTS_URL must be a redis:// URL or empty, not {settings.events_url!r}"
        )
    return Journal(settings.events_journal)


class Journal:
    """An append-only SQLite file (WAL): survives a process crash; one row per event."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " body TEXT NOT NULL, received REAL NOT NULL, acked INTEGER NOT NULL DEFAULT 0)"
            )
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS events_unacked ON events (id) WHERE acked = 0"
            )

    async def append(self, event: dict[str, Any]) -> None:
        # Off the event loop: the insert may wait for a consumer's commit to release the file.
        try:
            await asyncio.to_thread(self.append_now, event)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def append_now(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO events (body, received) VALUES (?, ?)",
                (json.dumps(event, separators=(",", ":")), time.time()),
            )

    def read(self, *, count: int) -> list[Delivery]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM events WHERE acked = 0 ORDER BY id LIMIT ?", (count,)
            ).fetchall()
        return [Delivery(str(row_id), json.loads(body)) for row_id, body in rows]

    def ack(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._lock:
            self._db.executemany(
                "UPDATE events SET acked = 1 WHERE id = ?", [(int(i),) for i in ids]
            )

    def backlog(self) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT count(*) FROM events WHERE acked = 0").fetchone()[0]
            )

    def purge(self, *, older_than: float) -> int:
        """Delete acknowledged events received before `older_than` (unix seconds)."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM events WHERE acked = 1 AND received < ?", (older_than,)
            )
            return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisStream:
    """XADD on accept; a consumer group reads, and XACK+XDEL after the fold has committed.

    A consumer first re-reads its own unacknowledged deliveries (a batch whose commit failed),
    then claims ones a dead consumer left idle (XAUTOCLAIM), then reads new events.
    """

    def __init__(
        self,
        url: str,
        *,
        consumer: str | None = None,
        stream: str = STREAM,
        claim_idle_seconds: float = CLAIM_IDLE_SECONDS,
    ) -> None:
        self._url, self.stream = url, stream
        self.claim_idle_ms = int(claim_idle_seconds * 1000)
        self._sync = redis.Redis.from_url(url, decode_responses=True)
        self._async: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[tuple[str, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self._group_ready = False

    async def append(self, event: dict[str, Any]) -> None:
        """Returns once Redis has the event. Appends arriving together share one pipelined
        round trip: each waits for its batch, so accepted still means stored."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._loop is not loop:  # a client belongs to one loop
            self._async = aioredis.Redis.from_url(self._url, decode_responses=True)
            self._loop, self._pending, self._flusher = loop, [], None
        done = loop.create_future()
        self._pending.append((json.dumps(event, separators=(",", ":")), done))
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())
        try:
            await done
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def _flush(self) -> None:
        assert self._async is not None
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    async with self._async.pipeline(transaction=False) as pipe:
                        for body, _ in batch:
                            pipe.xadd(self.stream, {"e": body})
                        await pipe.execute()
                except Exception as exc:  # every waiter of the batch learns it failed
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                else:
                    for _, done in batch:
                        if not done.done():  # a disconnected client's request was cancelled
                            done.set_result(None)
        finally:
            self._flusher = None

    def append_now(self, event: dict[str, Any]) -> None:
        self._sync.xadd(self.stream, {"e": json.dumps(event, separators=(",", ":"))})

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self._sync.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def read(self, *, count: int) -> list[Delivery]:
        self._ensure_group()
        entries = self._read_group("0", count)  # mine, delivered before but never acked
        if not entries:
            claimed = self._sync.xautoclaim(
                self.stream, GROUP, self.consumer, self.claim_idle_ms, start_id="0-0", count=count
            )
            entries = list(claimed[1])
        if not entries:
            entries = self._read_group(">", count)
        return [self._delivery(entry_id, fields) for entry_id, fields in entries]

    def _read_group(self, start: str, count: int) -> list[Any]:
        answer: Any = self._sync.xreadgroup(GROUP, self.consumer, {self.stream: start}, count=count)
        return list(answer[0][1]) if answer else []

    @staticmethod
    def _delivery(entry_id: str, fields: dict[str, str] | None) -> Delivery:
        # A trimmed entry comes back without fields: deliver it empty so it gets acked.
        return Delivery(entry_id, json.loads(fields["e"]) if fields else {})

    def ack(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._sync.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, *ids)
            pipe.xdel(self.stream, *ids)  # folded events are not kept: nothing left to expire
            pipe.execute()

    def backlog(self) -> int:
        return int(self._sync.xlen(self.stream))

    def purge(self, *, older_than: float) -> int:
        return 0  # acknowledged events are deleted at once

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()
            self._async = None
