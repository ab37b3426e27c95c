"""Faults during publishing (issue 8): the API process is killed with SIGKILL while an editor's
publish request is in flight, at different points of it, then restarted; the editor presses
publish again. Each post must end published exactly once (a whole plan or none, never part
of one), and every targeted rep must end with exactly one copy, including the posts whose plan
was committed just before the kill but whose fan-out task was never queued (the sweeper).

Production shape: PostgreSQL, the real Redis broker, `momentcast run` as its own process, a
real Celery worker with beat. Posts are text-only so a plan can be large (a publish that takes
long enough to be killed inside) while making the copies stays cheap."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from service.db import unit_of_work
from service.models import Plan, PlanItem, Post
from tests.live import free_port
from tests.scheduler.test_worker import Stack, stack_on, wait_for
from tests.service.conftest import postgres_schema_url
from tests.service.test_posts import upload
from tests.tracking.conftest import REDIS_URL, redis_or_skip
from tests.tracking.test_faults import Server

REPS = 150  # publishing takes ~0.1 s, long enough to be killed inside at each point
KILL_POINTS = (0.15, 0.35, 0.55, 0.75, 0.95, 1.3)  # of a measured publish's duration


def published_state(stack: Stack, post_id: int) -> tuple[int, int, bool]:
    """(plans, plan items, post marked published) as the database holds them."""
    with unit_of_work(stack.runtime.sessions) as session:
        plans = session.scalar(select(func.count()).where(Plan.post_id == post_id)) or 0
        items = session.scalar(select(func.count()).where(PlanItem.post_id == post_id)) or 0
        post = session.get(Post, post_id)
        assert post is not None
        return plans, items, post.published_at is not None


def publish_in_background(base: str, post_id: int, editor: dict[str, str]) -> dict[str, Any]:
    """Start a publish request; the dict gets its status (or the error) when it ends."""
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            answer = httpx.post(f"{base}/api/posts/{post_id}/publish", headers=editor, timeout=30)
            outcome["status"] = answer.status_code
        except httpx.HTTPError as exc:
            outcome["error"] = type(exc).__name__

    outcome["thread"] = threading.Thread(target=send, daemon=True)
    outcome["thread"].start()
    return outcome


def test_killing_the_api_mid_publish_publishes_each_post_once_and_loses_no_copy(
    tmp_path: Path,
) -> None:
    redis_or_skip()
    for database_url in postgres_schema_url(f"mc_fault_{uuid.uuid4().hex[:12]}"):
        with stack_on(database_url, REDIS_URL, tmp_path) as stack:
            check_publish_survives_kills(stack, tmp_path)


def check_publish_survives_kills(stack: Stack, tmp_path: Path) -> None:
    reps = stack.add_reps(REPS, teams=20)
    org = type("O", (), {"editor": stack.editor})()
    posts = [
        upload(stack.client, org, title=f"第{i}篇", images=[]).json()["id"]
        for i in range(len(KILL_POINTS) + 1)
    ]
    port = free_port()
    server = Server(stack.settings, port, tmp_path / "api.log")
    server.start()
    try:
        started = time.perf_counter()
        calibration = httpx.post(
            f"{server.base}/api/posts/{posts[0]}/publish", headers=stack.editor, timeout=60
        )
        duration = time.perf_counter() - started
        assert calibration.status_code == 200, calibration.text

        outcomes: list[str] = []
        restarts: list[float] = []
        for post_id, point in zip(posts[1:], KILL_POINTS, strict=True):
            request = publish_in_background(server.base, post_id, stack.editor)
            time.sleep(point * duration)
            server.kill()
            request["thread"].join(timeout=30)
            plans, items, published = published_state(stack, post_id)
            # All or nothing: a plan, every rep's slot and the post's flag commit together.
            assert (plans, items, published) in {(0, 0, False), (1, REPS, True)}, (
                post_id,
                plans,
                items,
                published,
            )
            answered = request.get("status")
            assert answered in (None, 200), request  # never an error from a half-done publish
            outcomes.append("committed" if plans else "not committed")
            restart = time.perf_counter()
            server.start()
            restarts.append(time.perf_counter() - restart)
            # The editor saw an error (or nothing) and presses publish again.
            again = httpx.post(
                f"{server.base}/api/posts/{post_id}/publish", headers=stack.editor, timeout=60
            )
            assert again.status_code == 200, again.text
            assert published_state(stack, post_id) == (1, REPS, True)  # once, not twice

        # A worker with beat: queued fan-outs run; plans whose task never reached the broker
        # (committed, then killed before the send) are picked up by the sweeper.
        recovery = time.perf_counter()
        stack.start_sweeping_worker()
        wait_for(
            lambda: all(len(stack.copies_per_rep(post_id)) == REPS for post_id in posts),
            seconds=300,
            what=f"{REPS} copies of each of {len(posts)} posts",
        )
        recovered = time.perf_counter() - recovery
        for post_id in posts:
            assert stack.copies_per_rep(post_id) == dict.fromkeys(reps, 1)
            plan = stack.plan(post_id)
            assert (plan["reps"], plan["copies_ready"]) == (REPS, REPS)
    finally:
        server.stop()
    print(
        f"\npublish of {REPS} reps took {duration * 1000:.0f} ms; kills at "
        f"{', '.join(f'{p:.0%}' for p in KILL_POINTS)} of it: {', '.join(outcomes)}; "
        f"API restart {max(restarts):.1f} s at most; all "
        f"{len(posts) * REPS} copies ready {recovered:.1f} s after the worker started"
    )
