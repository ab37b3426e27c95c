"""Who may see the dashboard: the organisation's staff only; a rep's link, an anonymous
visitor and another organisation's staff see nothing (other ids are 404, not 403)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.models import Rep
from service.runtime import Runtime
from service.security import RepLink
from tests.dashboard.seed import Scenario
from tests.service.conftest import Org

API = [
    "/api/dashboard/campaign",
    "/api/dashboard/campaign.csv",
    "/api/dashboard/posts/{post}",
    "/api/dashboard/posts/{post}/reps.csv",
    "/api/dashboard/viewers",
    "/api/dashboard/viewers/{viewer}",
    "/api/dashboard/segments?tag=深读",
    "/api/dashboard/segments.csv?tag=深读",
    "/api/dashboard/leaderboard",
    "/api/dashboard/leaderboard/reps.csv",
]
PAGES = [
    "/admin/dashboard",
    "/admin/dashboard/posts/{post}",
    "/admin/dashboard/viewers",
    "/admin/dashboard/viewers/{viewer}",
    "/admin/dashboard/leaderboard",
]


def fill(url: str, campaign: Scenario) -> str:
    return url.format(post=campaign.post1, viewer=campaign.viewers["V1"])


class TestStaffOfTheOrganisation:
    @pytest.mark.parametrize("role", ["admin", "editor", "manager"])
    @pytest.mark.parametrize("url", API)
    def test_every_role_reads_every_report(
        self, client: TestClient, org: Org, campaign: Scenario, role: str, url: str
    ) -> None:
        response = client.get(fill(url, campaign), headers=getattr(org, role))
        assert response.status_code == 200, response.text


class TestEveryoneElse:
    @pytest.mark.parametrize("url", API)
    def test_anonymous_is_401(self, client: TestClient, campaign: Scenario, url: str) -> None:
        response = TestClient(client.app).get(fill(url, campaign))
        assert response.status_code == 401

    @pytest.mark.parametrize("url", API)
    def test_a_rep_token_is_not_a_staff_token(
        self, client: TestClient, runtime: Runtime, campaign: Scenario, url: str
    ) -> None:
        with runtime.sessions() as session:
            rep = session.get(Rep, campaign.reps["张"])
            assert rep is not None
            token = runtime.signer.rep_token(RepLink(rep.org_id, rep.id, rep.link_nonce))
        response = client.get(fill(url, campaign), headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401

    @pytest.mark.parametrize(
        "url",
        [
            "/api/dashboard/posts/{post}",
            "/api/dashboard/posts/{post}/reps.csv",
            "/api/dashboard/viewers/{viewer}",
            "/admin/dashboard/posts/{post}",
            "/admin/dashboard/viewers/{viewer}",
        ],
    )
    def test_another_organisations_ids_are_404(
        self, client: TestClient, campaign: Scenario, other_org: Org, url: str
    ) -> None:
        response = client.get(fill(url, campaign), headers=other_org.manager)
        assert response.status_code == 404

    def test_another_organisations_lists_are_empty(
        self, client: TestClient, campaign: Scenario, other_org: Org
    ) -> None:
        def get(url: str) -> dict:
            return client.get(url, headers=other_org.manager).json()

        assert get("/api/dashboard/campaign")["posts"] == []
        assert get("/api/dashboard/viewers")["total"] == 0
        assert get("/api/dashboard/leaderboard")["reps"] == []
        assert (
            client.get(
                "/api/dashboard/segments", params={"tag": "深读"}, headers=other_org.manager
            ).json()
            == []
        )

    @pytest.mark.parametrize("url", PAGES)
    def test_pages_send_a_browser_to_the_login_form(
        self, client: TestClient, campaign: Scenario, url: str
    ) -> None:
        browser = TestClient(client.app, follow_redirects=False)
        response = browser.get(fill(url, campaign), headers={"Accept": "text/html"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login?next=/admin/dashboard")
