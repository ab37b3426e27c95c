"""The acceptance walk in headless Chromium: log in, upload a sample, publish, open three rep
pages on a phone, copy the text (Clipboard API and the WeChat fallback), press 我已发布.

Runs Debian's chromium through Playwright against a real uvicorn server on a free port.
Screenshots go to docs/screenshots/ with UPDATE_SCREENSHOTS=1 (tests/live.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.db import unit_of_work
from service.models import Copy, Rep, Role
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from tests.live import screenshots_dir, served
from tests.service.conftest import IN_CI, PASSWORD, jpeg_bytes

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = screenshots_dir()
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) "
    "NetType/WIFI Language/zh_CN"
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Replaces the Clipboard API the way WeChat's in-app browser often lacks it, and records what
# the execCommand fallback copied.
NO_CLIPBOARD_API = """
Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});
const original = document.execCommand.bind(document);
document.execCommand = (command, ...rest) => {
  if (command === 'copy') { window.__copied = document.activeElement.value; return true; }
  return original(command, ...rest);
};
"""

if not CHROMIUM.exists():
    reason = f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk"
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Runtime]]:
    with served(
        tmp_path_factory.mktemp("browser"),
        secret_key="browser-test-key",
    ) as live:
        yield live


@pytest.fixture(scope="module")
def org(server: tuple[str, Runtime]) -> dict[str, Any]:
    _, runtime = server
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="browser", name="澜蔻美妆")
        orgs_service.create_staff(
            session, org_id=org.id, email="editor@browser.test", password=PASSWORD, role=Role.ADMIN
        )
        reps = [
            reps_service.create(session, org_id=org.id, data=RepCreate(name=n, team=t))
            for n, t in [("张晓雯", "朝阳店"), ("李俊杰", "朝阳店"), ("陈思远", "海淀店")]
        ]
        urls = [reps_service.personal_url(runtime, rep) for rep in reps]
    return {"urls": urls, "rep_ids": [rep.id for rep in reps]}


def sample_images(tmp: Path) -> list[Path]:
    found = sorted(
        p
        for p in (ROOT / "samples" / "images").glob("*")
        if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )[:3]
    if found:
        return found
    paths = [tmp / f"sample-{i}.jpg" for i in range(3)]
    for i, path in enumerate(paths):
        path.write_bytes(jpeg_bytes(size=(1080, 1440), seed=i))
    return paths


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


def test_editor_publishes_and_three_reps_copy_and_confirm(
    server: tuple[str, Runtime], org: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    base, runtime = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    text = (
        (ROOT / "samples" / "posts" / "01-beauty-serum.txt").read_text(encoding="utf-8")
        if (ROOT / "samples" / "posts" / "01-beauty-serum.txt").exists()
        else "水光精华 ¥199"
    )

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    page.goto(f"{base}/admin")
    page.fill("#email", "editor@browser.test")
    page.fill("#password", PASSWORD)
    page.screenshot(path=str(SHOTS / "01-login.png"))
    page.click("button[type=submit]")
    page.click("text=新建素材")
    page.fill("#title", "水光精华会员日")
    page.fill("#text", text)
    page.fill("#protected", "澜蔻\n水光精华")
    page.set_input_files("#images", [str(p) for p in sample_images(tmp_path)])
    page.screenshot(path=str(SHOTS / "02-upload.png"), full_page=True)
    page.click("text=上传并预览")
    page.wait_for_selector("text=发布并安排时间", timeout=60_000)
    page.screenshot(path=str(SHOTS / "03-preview.png"), full_page=True)
    page.click("text=发布并安排时间")
    page.wait_for_selector(".badge.live")
    # The plan's progress bar fills without a reload (the page polls the plan API).
    page.wait_for_selector("#plan [data-plan-text]")
    assert "已生成" in page.inner_text("#plan")
    page.screenshot(path=str(SHOTS / "06-plan.png"), full_page=False)
    page.goto(f"{base}/admin")
    page.screenshot(path=str(SHOTS / "04-posts.png"))
    page.goto(f"{base}/admin/reps")
    page.screenshot(path=str(SHOTS / "05-reps.png"), full_page=True)
    desk.close()

    texts = []
    for number, url in enumerate(org["urls"], start=1):
        phone = browser.new_context(
            viewport={"width": 390, "height": 844},
            user_agent=WECHAT_UA,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        if number == 2:
            phone.add_init_script(NO_CLIPBOARD_API)
        else:
            phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        rep_page = phone.new_page()
        rep_page.goto(url)
        rep_page.wait_for_load_state("networkidle")
        shown = rep_page.inner_text(".copy-text >> nth=0")
        texts.append(shown)
        rep_page.screenshot(path=str(SHOTS / f"1{number}-rep-{number}.png"))
        rep_page.click("text=复制文案")
        rep_page.wait_for_selector(".toast")
        copied = (
            rep_page.evaluate("window.__copied")
            if number == 2
            else rep_page.evaluate("navigator.clipboard.readText()")
        )
        assert copied == shown
        rep_page.click("text=我已发布")
        rep_page.wait_for_selector("button.done")
        if number == 1:
            rep_page.screenshot(path=str(SHOTS / "14-rep-posted.png"))
        phone.close()

    assert len(set(texts)) == 3
    with runtime.sessions() as session:
        posted = [
            session.query(Copy).filter_by(rep_id=rep_id).one().posted_at
            for rep_id in org["rep_ids"]
        ]
    assert all(posted)


def test_rep_page_reads_without_javascript(
    server: tuple[str, Runtime], org: dict[str, Any], browser: Any
) -> None:
    _, runtime = server
    with unit_of_work(runtime.sessions) as session:  # its own post: tests may run alone
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=session.get(Rep, org["rep_ids"][0]).org_id,  # type: ignore[union-attr]
            author_id=None,
            data=PostCreate(title="无脚本也能读", text="羊毛大衣到店啦，原价¥1299，本周¥899。"),
            uploads=[posts_service.Upload("a.jpg", jpeg_bytes())],
        )
        plans_service.publish(session, runtime.settings, post)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, user_agent=WECHAT_UA, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(org["urls"][0])
    assert page.inner_text(".copy-text >> nth=0").strip()
    assert page.locator(".grid img").count() >= 1
    context.close()
