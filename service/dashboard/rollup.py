"""When a post's roll-up is rebuilt (the SQL that rebuilds it: rollup_repository.py).

Pages call `ensure_fresh`, which rebuilds inline only when the roll-up is missing or older
than MAX_AGE; the periodic `refresh_active` (scheduler) rebuilds every post whose page views
changed, so a page load normally only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from service import jobs
from service.dashboard import rollup_repository as repository
from service.db import lock_row, unit_of_work
from service.models import Post, utcnow
from service.models.rollup import PostRollup

MAX_AGE = timedelta(minutes=5)


def refresh_post(
    session: Session, *, org_id: int, post_id: int, now: datetime | None = None
) -> int:
    """Replace the post's roll-up with what its page views say now; returns the views."""
    return repository.refresh_post(session, org_id=org_id, post_id=post_id, now=now)


def stale_posts(session: Session) -> list[tuple[int, int]]:
    """(org id, post id) of every post whose page views changed since its roll-up."""
    return repository.stale_posts(session)


def ensure_fresh(
    session: Session, *, org_id: int, post_ids: Sequence[int], now: datetime | None = None
) -> datetime | None:
    """Rebuild the posts whose roll-up is missing or older than MAX_AGE; returns the oldest
    refresh time of them all (what the page says its numbers are "as of")."""
    now = now or utcnow()
    known = repository.refreshed_at(session, org_id=org_id, post_ids=post_ids)
    for post_id in post_ids:
        if post_id in known and known[post_id] >= now - MAX_AGE:
            continue
        # One rebuild at a time per post; whoever waited finds it fresh and only reads.
        lock_row(session, Post, post_id)
        row = session.get(PostRollup, post_id, populate_existing=True)
        if row is None or row.refreshed_at < now - MAX_AGE:
            refresh_post(session, org_id=org_id, post_id=post_id, now=now)
        known[post_id] = now if row is None else row.refreshed_at
    return min(known.values(), default=None)


def refresh_active(sessions: sessionmaker[Session]) -> int:
    """The periodic job: rebuild every post whose page views changed, one unit of work each
    (a post's numbers change together; one that fails is logged, the others go on).
    Returns how many posts were rebuilt."""
    with sessions() as session:
        todo = stale_posts(session)

    def one(key: tuple[int, int]) -> None:
        org_id, post_id = key
        with unit_of_work(sessions) as session:
            if session.get(Post, post_id) is not None:
                refresh_post(session, org_id=org_id, post_id=post_id)

    return len(jobs.each("dashboard.refresh_rollups", todo, one))
