"""The tracker in real headless Chromium (Debian's, via Playwright) against a real server.

Time runs on Playwright's fake clock (paused, advanced explicitly), so "visible 7 s" takes no
7 s; the server's clamp margin is widened for that. Hiding uses the issue's recipe: override
document.visibilityState and dispatch visibilitychange.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from service.db import unit_of_work
from service.links import ShareLink, share_path, signer_for
from service.models import Rep
from service.models.tracking import PageView
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.tracking import consumer
from service.tracking.events import open_store

# Same browser, flags and skip-or-fail rule as the service's browser tests (importing the
# module applies its Chromium check here too).
from tests.live import screenshots_dir, served
from tests.service.test_browser import CHROMIUM, LAUNCH_ARGS, sync_playwright
from tests.tracking.conftest import PHONE_UA

SHOTS = screenshots_dir()
SET_VISIBILITY = """hidden => {
  Object.defineProperty(document, 'visibilityState',
    {value: hidden ? 'hidden' : 'visible', configurable: true});
  Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
LONG_ARTICLE = "\n\n".join(
    f"## 第{n}部分\n\n"
    + "\n\n".join(f"这是第{n}部分的第{p}段，讲孩子的创造力。" * 6 for p in range(5))
    for n in range(1, 5)
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Runtime]]:
    with served(
        tmp_path_factory.mktemp("tracker-browser"),
        secret_key="tracker-browser-key",
        tracking_clock_margin_seconds=3600,  # the page's clock is fake and runs ahead
    ) as live:
        yield live


@pytest.fixture(scope="module")
def share_url(server: tuple[str, Runtime]) -> str:
    base, runtime = server
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="tracker", name="童趣早教")
        rep = reps_service.create(session, org_id=org.id, data=RepCreate(name="王老师"))
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=org.id,
            author_id=None,
            data=PostCreate(
                title="培养宝宝创造力", text="周末亲子课报名中。", article=LONG_ARTICLE
            ),
            uploads=[],
        )
        plans_service.publish(session, runtime.settings, post)
    return base + share_path(
        signer_for(runtime.settings.secret_key), ShareLink(org.id, post.id, rep.id)
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        user_agent=PHONE_UA,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    context.clock.install(time=1_700_000_000_000)
    context.clock.pause_at(1_700_000_001_000)  # time moves only when the test says so
    yield context
    context.close()


def recorded(runtime: Runtime, *, until: Callable[[PageView], bool]) -> PageView:
    """Fold what the server queued until the newest page view satisfies `until` (or 15 s)."""
    store = open_store(runtime.settings)
    deadline = time.monotonic() + 15
    try:
        while True:
            consumer.drain(runtime.sessions, store)
            with runtime.sessions() as session:
                view = session.query(PageView).order_by(PageView.id.desc()).first()
            if view is not None and (until(view) or time.monotonic() > deadline):
                return view
            time.sleep(0.1)
    finally:
        store.close()


def open_page(phone: Any, url: str) -> Any:
    page = phone.new_page()
    page.goto(url)
    page.wait_for_function("window.__momentcastTracker !== undefined")
    return page


def test_visible_hidden_visible_scroll_and_close(
    server: tuple[str, Runtime], share_url: str, phone: Any
) -> None:
    _, runtime = server
    sent: list[str] = []
    phone.on(
        "request",
        lambda request: sent.append(request.post_data) if request.url.endswith("/t") else None,
    )
    page = open_page(phone, share_url)
    assert "/s/" in page.url and page.url != share_url  # the viewer's own link, for re-sharing
    page.clock.run_for(2000)
    page.evaluate(
        "window.scrollTo(0, document.documentElement.scrollHeight * 0.6 - window.innerHeight)"
    )
    page.clock.run_for(5000)  # visible 7 s
    page.evaluate(SET_VISIBILITY, True)
    page.clock.run_for(5000)  # hidden 5 s
    page.evaluate(SET_VISIBILITY, False)
    page.clock.run_for(3000)  # visible 3 s
    page.evaluate(SET_VISIBILITY, True)  # closing a tab hides it first
    recorded(runtime, until=lambda v: v.beacons >= 4)
    page.close(run_before_unload=True)  # may still send a pagehide beacon: wait for all
    view = recorded(runtime, until=lambda v: v.beacons >= len(sent))

    assert view.engaged_ms is not None
    assert abs(view.engaged_ms - 10_000) <= 1000
    assert abs(view.visible_ms - 10_000) <= 1000
    assert abs(view.max_scroll - 60) <= 5
    assert len(view.sections) >= 2  # the scroll moved reading on to a later section
    assert abs(sum(view.sections.values()) - view.engaged_ms) <= 0.1 * view.engaged_ms

    # Every beacon the browser sent, replayed twice in shuffled order, changes nothing.
    replay = sent * 2
    random.Random(3).shuffle(replay)
    for body in replay:
        answer = httpx.post(
            server[0] + "/t", content=body, headers={"user-agent": PHONE_UA}, timeout=10
        )
        assert answer.status_code == 204
    again = recorded(runtime, until=lambda v: True)
    totals = ("visible_ms", "engaged_ms", "max_scroll", "sections")
    assert [getattr(again, n) for n in totals] == [getattr(view, n) for n in totals]


def test_idle_time_stops_counting_after_thirty_seconds(
    server: tuple[str, Runtime], share_url: str, phone: Any
) -> None:
    _, runtime = server
    page = open_page(phone, share_url)
    page.clock.run_for(60_000)  # no touch, no scroll
    page.evaluate(SET_VISIBILITY, True)
    view = recorded(runtime, until=lambda v: v.visible_ms >= 59_000)
    page.close()
    assert view.engaged_ms is not None
    assert 29_000 <= view.engaged_ms <= 30_000
    assert view.visible_ms >= 59_000


def test_frozen_timers_add_at_most_two_seconds(
    server: tuple[str, Runtime], share_url: str, phone: Any
) -> None:
    """A locked phone may freeze the page without a visibilitychange: the gap is not reading."""
    _, runtime = server
    page = open_page(phone, share_url)
    page.clock.run_for(3000)
    page.clock.fast_forward(60_000)  # timers frozen for a minute, then due ones fire once
    page.clock.run_for(2000)
    page.evaluate(SET_VISIBILITY, True)
    view = recorded(runtime, until=lambda v: v.last_event_at is not None and v.beacons >= 2)
    page.close()
    assert 5000 <= view.visible_ms <= 8000


def test_a_killed_renderer_loses_at_most_one_interval(
    server: tuple[str, Runtime], share_url: str, phone: Any
) -> None:
    _, runtime = server
    page = open_page(phone, share_url)
    crashed: list[Any] = []
    page.on("crash", lambda crashed_page: crashed.append(crashed_page))
    page.clock.run_for(7000)
    with contextlib.suppress(Exception):  # the navigation dies with the renderer
        page.goto("chrome://crash", timeout=5000)  # no unload, no pagehide: just gone
    if not crashed:
        page.wait_for_event("crash", timeout=5000)
    assert crashed
    view = recorded(runtime, until=lambda v: v.beacons >= 1)
    assert 7000 - view.visible_ms <= 5000  # the first interval is the longest before 60 s
    assert view.visible_ms > 0


def test_a_headless_user_agent_is_not_counted(
    server: tuple[str, Runtime], share_url: str, browser: Any
) -> None:
    _, runtime = server
    with runtime.sessions() as session:
        before = session.query(PageView).count()
    context = browser.new_context()  # Playwright's default: "HeadlessChrome"
    page = context.new_page()
    page.goto(share_url)
    assert page.locator("#mc-track").count() == 0
    context.close()
    with runtime.sessions() as session:
        assert session.query(PageView).count() == before


def test_landing_page_on_a_phone(server: tuple[str, Runtime], share_url: str, browser: Any) -> None:
    """What a customer sees (screenshot for docs/): the copy, the article, the notice."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        user_agent=PHONE_UA,
        device_scale_factor=2,
        is_mobile=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.goto(share_url)
    assert page.locator("[data-section]").count() >= 5  # the copy and four article parts
    assert page.locator("text=隐私说明").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "21-landing.png"))
    context.close()


def test_the_rep_copies_their_share_link(
    server: tuple[str, Runtime], share_url: str, browser: Any
) -> None:
    base, runtime = server
    with runtime.sessions() as session:
        rep = session.query(Rep).filter_by(name="王老师").one()
        rep_url = reps_service.personal_url(runtime, rep)
    context = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=PHONE_UA)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.goto(rep_url)
    page.click("text=复制链接")
    page.wait_for_selector(".toast")
    assert page.evaluate("navigator.clipboard.readText()") == share_url
    context.close()


@pytest.mark.parametrize(
    ("transport", "remove"),
    [
        ("fetch", "Object.defineProperty(navigator, 'sendBeacon', {value: undefined});"),
        (
            "xhr",
            "Object.defineProperty(navigator, 'sendBeacon', {value: undefined});"
            "window.fetch = undefined;",
        ),
    ],
)
def test_beacons_fall_back_when_send_beacon_is_missing(
    server: tuple[str, Runtime], share_url: str, phone: Any, transport: str, remove: str
) -> None:
    """Older WeChat builds may lack sendBeacon (and fetch): the same totals still arrive."""
    _, runtime = server
    phone.add_init_script(remove)
    page = open_page(phone, share_url)
    page.clock.run_for(6000)
    page.evaluate(SET_VISIBILITY, True)
    view = recorded(runtime, until=lambda v: v.beacons >= 2)
    page.close()
    assert view.beacons >= 2, transport
    assert abs(view.visible_ms - 6000) <= 100
