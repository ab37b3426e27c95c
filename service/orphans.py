"""Image files that no row refers to, and their removal.

Every write of an image is undone when its transaction rolls back, but a process killed with
SIGKILL between writing a file and committing its row (a worker mid-copy, the API mid-upload)
leaves the file behind. Nothing reads such a file, so a daily job deletes files that are
older than a grace period and that no post image or copy image names.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service import jobs
from service.db import unit_of_work
from service.models import ImageCopy, PostImage
from service.storage import Storage

GRACE = timedelta(hours=1)  # far longer than any write-then-commit takes
BATCH = 500
OWNERS = {"posts/": PostImage.storage_key, "copies/": ImageCopy.storage_key}


def remove_orphans(
    sessions: sessionmaker[Session],
    storage: Storage,
    *,
    now: float | None = None,
    grace: timedelta = GRACE,
) -> int:
    """Delete unreferenced image files older than `grace`; returns how many were deleted."""
    cutoff = (now if now is not None else time.time()) - grace.total_seconds()
    removed = 0
    for prefix, column in OWNERS.items():
        old = (key for key, modified in storage.listing(prefix) if modified < cutoff)
        for batch in _batches(old):
            with unit_of_work(sessions) as session:
                known = set(session.scalars(select(column).where(column.in_(batch))))
            gone = jobs.each("media.remove_orphans", sorted(set(batch) - known), storage.delete)
            removed += len(gone)
    return removed


def _batches(keys: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
