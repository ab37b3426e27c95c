"""The dashboard in headless Chromium (Debian's, via Playwright) against a real server:
a manager walks every page, the numbers shown are the seeded ones, filters and 刷新 swap
the page's live part without a reload. Screenshots: docs/screenshots/3x-*.png with
UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from service.dashboard import rollup
from service.db import unit_of_work
from service.models import Role, utcnow
from service.models.tracking import PageView
from service.orgs import service as orgs_service
from service.runtime import Runtime
from tests.dashboard.seed import Scenario, seed
from tests.live import screenshots_dir, served
from tests.service.conftest import PASSWORD
from tests.service.test_browser import CHROMIUM, LAUNCH_ARGS, sync_playwright

SHOTS = screenshots_dir()
EMAIL = "manager@dashboard.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Runtime]]:
    with served(
        tmp_path_factory.mktemp("dashboard-browser"),
        secret_key="dashboard-browser-key",
    ) as live:
        yield live


@pytest.fixture(scope="module")
def campaign(server: tuple[str, Runtime]) -> Scenario:
    _, runtime = server
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="dashboard", name="童趣早教")
        orgs_service.create_staff(
            session, org_id=org.id, email=EMAIL, password=PASSWORD, role=Role.MANAGER
        )
    return seed(runtime, org.id)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


def logged_in(browser: Any, base: str, **context: Any) -> Any:
    page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context).new_page()
    page.goto(f"{base}/admin/dashboard")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/dashboard")
    return page


def cells(page: Any, row: str) -> dict[str, str]:
    found = page.locator(f"{row} td[data-k]")
    return {
        found.nth(i).get_attribute("data-k"): found.nth(i).inner_text().split()[0]
        for i in range(found.count())
    }


def test_a_manager_walks_every_page(
    server: tuple[str, Runtime], campaign: Scenario, browser: Any
) -> None:
    base, _ = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = logged_in(browser, base, viewport={"width": 1280, "height": 900})

    assert cells(page, f'tr[data-post="{campaign.post1}"]') == {
        "reps_targeted": "3",
        "copies_opened": "2",
        "posted": "1",
        "views": "7",
        "unique_viewers": "6",
        "careful_viewers": "3",
        "deep_viewers": "2",
        "median": "50秒",
    }
    page.screenshot(path=str(SHOTS / "31-dash-campaign.png"))
    page.select_option("select[name=team]", "海淀店")
    page.evaluate("window.__sameDocument = true")
    page.click("form[data-live-form] button[type=submit]")
    page.wait_for_url("**team=*")
    page.wait_for_selector("[data-live]:not([aria-busy])")
    assert cells(page, f'tr[data-post="{campaign.post1}"]')["reps_targeted"] == "1"
    assert page.evaluate("window.__sameDocument") is True  # swapped in place, no reload

    page.click(f'tr[data-post="{campaign.post1}"] a')
    page.wait_for_selector("[data-metric=views]")
    shown = {
        k: page.inner_text(f"[data-metric={k}]")
        for k in (
            "reps_targeted",
            "copies_opened",
            "posted",
            "views",
            "unique_viewers",
            "careful_viewers",
            "deep_viewers",
            "median",
        )
    }
    assert shown == {
        "reps_targeted": "3",
        "copies_opened": "2",
        "posted": "1",
        "views": "7",
        "unique_viewers": "6",
        "careful_viewers": "3",
        "deep_viewers": "2",
        "median": "50秒",
    }
    assert page.locator("svg.chart").count() == 4
    assert page.locator("svg [data-bucket]").all_text_contents() == ["2", "0", "1", "1", "0", "2"]
    assert page.locator("g.node.koc text").text_content() == "优优妈妈 · 带来2人"
    rows = page.locator("#rep-table tbody tr")
    assert rows.nth(0).locator("td").nth(0).inner_text() == "张晓雯"
    assert rows.nth(0).locator("td[data-k=views]").inner_text() == "4"
    page.screenshot(path=str(SHOTS / "32-dash-post.png"), full_page=True)

    page.click("text=读者")
    page.wait_for_selector("[data-metric=total]")
    assert page.inner_text("[data-metric=total]") == "共 7 位"
    page.evaluate("window.__sameDocument = true")
    page.check("input[name=tag][value=深读]")
    page.check("input[name=tag][value=育儿]")
    page.click("form[data-live-form] button[type=submit]")
    page.wait_for_selector("text=共 2 位")
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("a[data-segment]").count() == 1  # the segment's CSV
    page.screenshot(path=str(SHOTS / "34-dash-viewers.png"), full_page=True)

    page.click(f'tr[data-viewer="{campaign.viewers["V7"]}"] a')
    page.wait_for_selector(".timeline")
    assert page.locator("h2").first.inner_text() == "<b>乐乐</b>"  # shown as text, escaped
    assert page.locator(".timeline li").count() == 1
    assert page.inner_text("[data-metric=engaged]") == "5分50秒"
    page.screenshot(path=str(SHOTS / "35-dash-viewer.png"), full_page=True)

    page.click("text=排行榜")
    page.wait_for_selector("#reps-table")
    first = page.locator("#reps-table tbody tr").first
    assert first.locator("td").nth(1).inner_text() == "张晓雯"
    assert first.locator("td[data-k=execution]").inner_text().startswith("100%")
    team = page.locator("#teams-table tbody tr").first
    assert team.locator("td").nth(1).inner_text() == "朝阳店"
    page.screenshot(path=str(SHOTS / "36-dash-leaderboard.png"), full_page=True)
    page.context.close()


def test_refresh_shows_new_views_without_a_reload(
    server: tuple[str, Runtime], campaign: Scenario, browser: Any
) -> None:
    base, runtime = server
    page = logged_in(
        browser,
        base,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page.goto(f"{base}/admin/dashboard/posts/{campaign.post2}")
    assert page.inner_text("[data-metric=views]") == "2"
    page.screenshot(path=str(SHOTS / "33-dash-post-phone.png"), full_page=True)
    with unit_of_work(runtime.sessions) as session:
        session.add(
            PageView(
                org_id=campaign.org_id,
                post_id=campaign.post2,
                rep_id=campaign.reps["陈"],
                viewer_id=campaign.viewers["V4"],
                opened_at=utcnow() - timedelta(minutes=1),
                engaged_ms=90_000,
                visible_ms=90_000,
                max_scroll=70,
                sections={},
            )
        )
    rollup.refresh_active(runtime.sessions)  # what the periodic job does
    page.evaluate("window.__sameDocument = true")
    page.click("[data-refresh]")
    # Selector waits, not wait_for_function: the pages' CSP forbids eval, which it uses.
    page.wait_for_selector("[data-metric=views]:text-is('3')")
    assert page.inner_text("[data-metric=careful_viewers]") == "2"
    assert page.evaluate("window.__sameDocument") is True
    assert page.inner_text("[data-updated]").startswith("更新于")
    page.context.close()
