"""Queueing work by task name, sent only after the unit of work commits.

The service never imports the scheduler: it names a task and passes JSON ids. The app wires in
a `Dispatcher`; until the scheduler provides one, `LoggingDispatcher` records and drops them
(copies are then generated on a rep's first open).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from service.db import after_commit

log = logging.getLogger(__name__)
DISPATCHER_KEY = "momentcast.dispatcher"


class Dispatcher(Protocol):
    def send(self, task_name: str, kwargs: dict[str, Any]) -> None: ...


class LoggingDispatcher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, task_name: str, kwargs: dict[str, Any]) -> None:
        self.sent.append((task_name, kwargs))
        log.info("no worker configured; not sending %s(%s)", task_name, kwargs)


def enqueue(session: Session, task_name: str, **kwargs: Any) -> None:
    """Send `task_name(**kwargs)` after commit, through the session's dispatcher."""
    dispatcher: Dispatcher | None = session.info.get(DISPATCHER_KEY)
    if dispatcher is not None:
        after_commit(session, lambda: dispatcher.send(task_name, kwargs))
