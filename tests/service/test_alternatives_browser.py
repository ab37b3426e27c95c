"""The alternatives editor and the diversity meter in headless Chromium: split a text into
sentences, add, edit, tick, delete and take 改写建议, watch the distinct-body count, save,
see the meter on the preview, reopen the saved version; a failing provider's Chinese
message appears where the editor asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.db import unit_of_work
from service.models import Role
from service.orgs import service as orgs_service
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.rewrite import service as rewrite_service
from service.rewrite.schemas import ProviderUpdate
from service.runtime import Runtime
from tests.live import served
from tests.service.conftest import IN_CI, PASSWORD
from tests.service.fake_openai import RATE_LIMITED, fake_provider

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TEXT = "春季新品防晒衣到店啦！今天到店只要¥199，买两件再减20元。\n欢迎大家来店里试穿。"

if not CHROMIUM.exists():
    if IN_CI:
        pytest.fail(f"{CHROMIUM} is missing", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Runtime]]:
    with served(tmp_path_factory.mktemp("alternatives"), secret_key="alternatives-key") as live:
        _, runtime = live
        with unit_of_work(runtime.sessions) as session:
            for slug, email in [("alt", "editor@alt.test"), ("alt2", "editor@alt2.test")]:
                org = orgs_service.ensure_org(session, slug=slug, name="澜蔻")
                orgs_service.create_staff(
                    session, org_id=org.id, email=email, password=PASSWORD, role=Role.ADMIN
                )
                for n in range(8):
                    reps_service.create(session, org_id=org.id, data=RepCreate(name=f"销售{n}"))
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


def logged_in(browser: Any, base: str, email: str) -> Any:
    page = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{base}/admin/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin")
    return page


def wait_count(page: Any, bodies: int) -> None:
    """Until the editor shows `bodies` distinct bodies (the page's CSP forbids eval, so no
    wait_for_function)."""
    page.wait_for_selector(f'[data-distinct-count][data-value="{bodies}"]', state="attached")


def test_editor_adds_ticks_deletes_alternatives_and_sees_the_meter(
    server: tuple[str, Runtime], browser: Any
) -> None:
    base, _ = server
    page = logged_in(browser, base, "editor@alt.test")
    page.goto(f"{base}/admin/posts/new")
    page.fill("#title", "防晒衣")
    page.fill("#text", TEXT)
    page.click("[data-split]")
    page.wait_for_selector('[data-sentence="2"]')
    assert page.locator(".sentence-text").all_inner_texts() == [
        "春季新品防晒衣到店啦！",
        "今天到店只要¥199，买两件再减20元。",
        "欢迎大家来店里试穿。",
    ]
    wait_count(page, 1)

    first = page.locator('[data-sentence="0"]')
    first.locator("[data-add]").click()
    page.locator('[data-sentence="0"] [data-alt-text]').last.fill("春季新款防晒衣已经到店！")
    wait_count(page, 2)
    first.locator("[data-add]").click()
    page.locator('[data-sentence="0"] [data-alt-text]').last.fill("防晒衣春季新品上架啦！")
    wait_count(page, 3)
    page.locator('[data-sentence="0"] [data-approve]').last.uncheck()
    wait_count(page, 2)

    page.locator('[data-sentence="1"] [data-suggest]').click()
    page.wait_for_selector('[data-sentence="1"] [data-suggestion]')
    page.locator('[data-sentence="1"] [data-suggestion]').first.click()
    wait_count(page, 4)
    assert "4 种正文" in page.inner_text("[data-distinct-count]")

    # A made-up price is refused with a Chinese reason, and the count keeps the last good one.
    page.locator('[data-sentence="1"] [data-add]').click()
    page.locator('[data-sentence="1"] [data-alt-text]').last.fill(
        "今天到店只要¥99，买两件再减20元。"
    )
    page.wait_for_selector("[data-editor-error]:not(:empty)")
    assert "价格" in page.inner_text("[data-editor-error]")
    page.locator('[data-sentence="1"] [data-delete]').last.click()
    page.wait_for_selector("[data-editor-error]:empty", state="attached")

    page.select_option("#frame_lines", "off")
    page.click("text=上传并预览")
    page.wait_for_selector("#diversity-meter", timeout=60_000)
    meter = page.inner_text("#diversity-meter")
    assert "重复度检测" in meter and "8 位目标销售" in meter and "4 种正文" in meter
    assert page.locator("[data-fold-risk]").count() >= 2

    page.click("text=编辑改写")
    page.wait_for_selector('[data-sentence="0"] [data-alt-text]')
    saved = page.locator('[data-sentence="0"] [data-alt-text]').evaluate_all(
        "nodes => nodes.map(n => n.value)"
    )
    assert saved == ["春季新款防晒衣已经到店！", "防晒衣春季新品上架啦！"]
    ticks = page.locator('[data-sentence="0"] [data-approve]').evaluate_all(
        "nodes => nodes.map(n => n.checked)"
    )
    assert ticks == [True, False]
    assert page.input_value("#frame_lines") == "off"
    page.locator('[data-sentence="0"] [data-approve]').last.check()
    page.click("text=保存为新版本")
    page.wait_for_selector("#diversity-meter")
    assert "版本 2" in page.inner_text(".actions")
    assert "6 种正文" in page.inner_text("#diversity-meter")


def test_a_failing_provider_shows_its_chinese_message_in_the_editor(
    server: tuple[str, Runtime], browser: Any
) -> None:
    base, runtime = server
    with fake_provider() as fake:
        fake.fail(RATE_LIMITED)
        with unit_of_work(runtime.sessions) as session:
            org = orgs_service.ensure_org(session, slug="alt2")
            rewrite_service.update(
                session,
                runtime.settings,
                org_id=org.id,
                data=ProviderUpdate(
                    base_url=fake.base_url, model="qwen-plus", api_key="sk-0123456789abcd"
                ),
            )
        page = logged_in(browser, base, "editor@alt2.test")
        page.goto(f"{base}/admin/posts/new")
        page.fill("#title", "防晒衣")
        page.fill("#text", TEXT)
        page.click("[data-split]")
        page.wait_for_selector('[data-sentence="1"] [data-suggest]')
        page.locator('[data-sentence="1"] [data-suggest]').click()
        page.wait_for_selector('[data-sentence="1"] [data-suggest-error]:not(:empty)')
        assert "请求过于频繁" in page.inner_text('[data-sentence="1"] [data-suggest-error]')
        assert len(fake.requests) == 1
        page.click("text=上传并预览")  # the post saves all the same
        page.wait_for_selector("#diversity-meter", timeout=60_000)
