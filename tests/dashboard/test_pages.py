"""The dashboard's pages as HTML: numbers, inline SVG charts, escaped user text."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from service.dashboard import pages
from service.runtime import Runtime
from tests.dashboard.seed import Scenario
from tests.service.conftest import Org, form_login


@pytest.fixture
def browser(client: TestClient, org: Org) -> TestClient:
    """A logged-in manager's cookie jar."""
    jar = TestClient(client.app)
    response = form_login(jar, f"manager@{org.slug}.test")
    assert response.status_code == 303, response.text
    return jar


def metric(html: str, key: str) -> str:
    found = re.search(rf'data-metric="{key}">([^<]*)<', html)
    assert found, key
    return found.group(1).strip()


class TestPostPage:
    def test_funnel_charts_and_tree(self, browser: TestClient, campaign: Scenario) -> None:
        html = browser.get(f"/admin/dashboard/posts/{campaign.post1}").text
        assert [metric(html, k) for k in ("reps_targeted", "copies_opened", "posted")] == [
            "3",
            "2",
            "1",
        ]
        assert [metric(html, k) for k in ("views", "unique_viewers", "careful_viewers")] == [
            "7",
            "6",
            "3",
        ]
        assert metric(html, "median") == "50秒"
        assert html.count("<svg") == 4  # histogram, completion curve, heat strip, tree
        assert 'class="node koc"' in html and "优优妈妈 · 带来2人" in html
        assert "张晓雯 · 3人" in html and "+1 位读者" in html

    def test_long_rep_tables_show_the_first_rows_then_all_on_request(
        self, browser: TestClient, campaign: Scenario, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pages, "REP_ROWS", 1)
        first = browser.get(f"/admin/dashboard/posts/{campaign.post1}").text
        assert first.count("data-rep=") == 1 and "显示全部 3 位销售" in first
        every = browser.get(f"/admin/dashboard/posts/{campaign.post1}?all_reps=1").text
        assert every.count("data-rep=") == 3 and "显示全部" not in every

    def test_user_text_is_escaped(
        self, browser: TestClient, runtime: Runtime, campaign: Scenario
    ) -> None:
        html = browser.get(f"/admin/dashboard/viewers/{campaign.viewers['V7']}").text
        assert "&lt;b&gt;乐乐&lt;/b&gt;" in html and "<b>乐乐</b>" not in html


class TestOtherPages:
    def test_campaign_viewers_and_leaderboard_render(
        self, browser: TestClient, campaign: Scenario
    ) -> None:
        overview = browser.get("/admin/dashboard").text
        assert f'data-post="{campaign.post1}"' in overview and "朝阳店" in overview
        viewers = browser.get("/admin/dashboard/viewers", params={"tag": ["深读", "育儿"]}).text
        assert "共 2 位" in viewers and "/api/dashboard/segments.csv?tag=" in viewers
        board = browser.get("/admin/dashboard/leaderboard", params={"sort": "views"}).text
        assert board.index("张晓雯") < board.index("陈思远") < board.index("李俊杰")

    def test_a_bad_date_is_400(self, browser: TestClient) -> None:
        assert browser.get("/admin/dashboard", params={"since": "2026-02-31"}).status_code == 400
