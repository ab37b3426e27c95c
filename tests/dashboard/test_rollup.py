"""The roll-up the dashboard reads: rebuilt when missing or stale, by the periodic job for
posts with new page views, never double-counting."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.dashboard import rollup
from service.db import unit_of_work
from service.models import utcnow
from service.models.rollup import PostRep, PostRollup, PostViewer
from service.models.tracking import PageView
from service.runtime import Runtime
from tests.dashboard.seed import Scenario
from tests.service.conftest import Org


def add_view(runtime: Runtime, campaign: Scenario) -> None:
    with unit_of_work(runtime.sessions) as session:
        session.add(
            PageView(
                org_id=campaign.org_id,
                post_id=campaign.post2,
                rep_id=campaign.reps["陈"],
                viewer_id=campaign.viewers["V4"],
                opened_at=utcnow(),
                engaged_ms=90_000,
                visible_ms=90_000,
                max_scroll=70,
                sections={"copy": 90_000},
            )
        )


def views_on_page(client: TestClient, org: Org, post_id: int) -> int:
    response = client.get(f"/api/dashboard/posts/{post_id}", headers=org.manager)
    return int(response.json()["funnel"]["views"])


class TestRollup:
    def test_the_first_read_builds_it_and_later_reads_reuse_it(
        self, client: TestClient, org: Org, runtime: Runtime, campaign: Scenario
    ) -> None:
        assert views_on_page(client, org, campaign.post2) == 2
        add_view(runtime, campaign)
        assert views_on_page(client, org, campaign.post2) == 2  # fresh enough: not rebuilt

    def test_the_periodic_job_rebuilds_posts_with_new_views_only(
        self, client: TestClient, org: Org, runtime: Runtime, campaign: Scenario
    ) -> None:
        views_on_page(client, org, campaign.post1)
        views_on_page(client, org, campaign.post2)
        add_view(runtime, campaign)
        with runtime.sessions() as session:
            stale = rollup.stale_posts(session)
        assert (campaign.org_id, campaign.post2) in stale
        assert (campaign.org_id, campaign.post1) not in stale
        rollup.refresh_active(runtime.sessions)
        assert views_on_page(client, org, campaign.post2) == 3
        sections = client.get(f"/api/dashboard/posts/{campaign.post2}", headers=org.manager)
        assert sections.json()["sections"][0] == {
            "id": "copy",
            "title": "文案",
            "seconds": 90.0,
            "share_percent": 100.0,
        }

    def test_a_stale_rollup_is_rebuilt_on_read_and_rebuilding_never_double_counts(
        self, runtime: Runtime, campaign: Scenario
    ) -> None:
        later = utcnow() + rollup.MAX_AGE + timedelta(seconds=1)
        with unit_of_work(runtime.sessions) as session:
            for _ in range(3):
                rollup.refresh_post(session, org_id=campaign.org_id, post_id=campaign.post1)
        with unit_of_work(runtime.sessions) as session:
            rollup.ensure_fresh(
                session, org_id=campaign.org_id, post_ids=[campaign.post1], now=later
            )
            total = session.scalar(
                select(func.sum(PostViewer.views)).where(PostViewer.post_id == campaign.post1)
            )
            firsts = session.scalar(
                select(func.sum(PostRep.reach)).where(PostRep.post_id == campaign.post1)
            )
            row = session.get(PostRollup, campaign.post1)
        assert total == 7 and firsts == 6  # one first view per viewer
        assert row is not None and row.refreshed_at == later and row.views == 7
