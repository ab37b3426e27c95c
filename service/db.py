"""Engine, sessions and the unit of work: commit once on success, roll back on any error.

Services never commit. Whoever owns the unit of work (a request, a CLI command, a task) opens
it with `unit_of_work`; locks taken with `hold_until_end` are released only after the commit,
so a second writer waiting on them reads what the first one wrote.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

_LOCKS_KEY = "momentcast.locks"
_AFTER_COMMIT_KEY = "momentcast.after_commit"
_AFTER_ROLLBACK_KEY = "momentcast.after_rollback"


_guard = threading.Lock()
_named_locks: dict[str, threading.Lock] = {}


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(
    engine: Engine,
    *,
    info: dict[str, Any] | None = None,
) -> sessionmaker[Session]:
    """Sessions for `engine`; `info` (e.g. the task dispatcher) is copied into each one."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=True, info=info or {})


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed if the block ends normally, rolled back otherwise."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        _run(session.info.pop(_AFTER_ROLLBACK_KEY, []))
        raise
    finally:
        for lock in session.info.pop(_LOCKS_KEY, {}).values():
            lock.release()
        session.close()
    _run(session.info.pop(_AFTER_COMMIT_KEY, []))


def _run(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        callback()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this unit of work has committed (e.g. queue a task by name)."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


def after_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` if this unit of work rolls back (e.g. delete files written for it)."""
    session.info.setdefault(_AFTER_ROLLBACK_KEY, []).append(callback)


def hold_until_end(session: Session, name: str) -> None:
    """Take the process-wide lock `name` until this unit of work has committed or rolled back.

    Re-entrant per session. Plain locks, because the request's end may run on another thread.
    """
    held = session.info.setdefault(_LOCKS_KEY, {})
    if name in held:
        return
    with _guard:
        lock = _named_locks.setdefault(name, threading.Lock())
    lock.acquire()
    held[name] = lock


def lock_row(session: Session, model: Any, row_id: int) -> None:
    """Hold `model`'s row `row_id` until this unit of work ends, across processes: a row lock
    on PostgreSQL; on SQLite, whose locks are per database, the write lock (taken by a
    no-op write), which other writers wait for up to the busy timeout."""
    table = model.__table__
    if is_postgres(session):
        session.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())
    else:
        session.execute(update(table).where(table.c.id == row_id).values(id=table.c.id))


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
