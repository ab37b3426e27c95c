"""Reminders at each rep's slot: WeCom robot, signed webhook and e-mail, each checked by a
local server that speaks the real wire format; retries with backoff, then a visible failure."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from service import notifications
from service.db import unit_of_work
from service.errors import Unprocessable
from service.models import PlanItem, Reminder, Rep
from service.notifications import Email, Notifier, Webhook, WeComRobot
from service.orgs import channels as org_channels
from service.outbound import Outbound
from service.plans import reminders
from service.reps.service import personal_url
from service.runtime import Runtime
from tests.scheduler.fakes import FakeWebhook, FakeWeCom, http_server, smtp_server
from tests.service.conftest import Org, jpeg_bytes
from tests.service.test_posts import upload

LOCAL = Outbound(allow_private=True)  # the fake servers listen on 127.0.0.1


@pytest.fixture
def wecom() -> Iterator[tuple[FakeWeCom, str]]:
    fake = FakeWeCom()
    with http_server(fake) as base:
        yield fake, f"{base}/cgi-bin/webhook/send?key={fake.key}"


@pytest.fixture
def webhook() -> Iterator[tuple[FakeWebhook, str]]:
    fake = FakeWebhook()
    with http_server(fake) as base:
        yield fake, f"{base}/momentcast"


@pytest.fixture
def smtp() -> Iterator[tuple[str, list[Any]]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def channels(wecom: Any, webhook: Any, smtp: Any) -> list[Notifier]:
    return [
        WeComRobot(wecom[1], timeout=2, outbound=LOCAL),
        Webhook(webhook[1], webhook[0].secret, timeout=1, outbound=LOCAL),
        Email(smtp[0], "momentcast@brand.test", timeout=2, outbound=LOCAL),
    ]


def planned(
    client: TestClient, org: Org, add_reps: Any, runtime: Runtime, names: list[str]
) -> tuple[int, list[int]]:
    """A published post whose reps all have their slot one minute ago."""
    reps = [rep_id for rep_id, _ in add_reps(org, names)]
    with unit_of_work(runtime.sessions) as session:
        for i, rep_id in enumerate(reps):
            values = {"phone": f"1380000{i:04d}", "email": f"rep{i}@brand.test" if i % 2 else ""}
            session.execute(update(Rep).where(Rep.id == rep_id).values(**values))
    post = upload(client, org, images=[("a.jpg", jpeg_bytes())]).json()
    assert client.post(f"/api/posts/{post['id']}/publish", headers=org.editor).status_code == 200
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(PlanItem)
            .where(PlanItem.post_id == post["id"])
            .values(slot_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    return int(post["id"]), reps


def run(runtime: Runtime, channels: Sequence[Notifier], org: Org, *, at: Any = None) -> Any:
    """One run of the periodic job, for the test's organisation only."""
    now = at or datetime.now(UTC)
    with unit_of_work(runtime.sessions) as session:
        reminders.queue_due(session, runtime, channels, now, org_id=org.id)
    return notifications.deliver_reminders(
        runtime.sessions, runtime, channels, now=now, org_id=org.id
    )


def plan(client: TestClient, org: Org, post_id: int) -> Any:
    return client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()


def test_a_due_slot_sends_one_reminder_per_rep_on_every_channel_once(
    client: TestClient,
    org: Org,
    add_reps: Any,
    runtime: Runtime,
    channels: Any,
    wecom: Any,
    webhook: Any,
    smtp: Any,
) -> None:
    post_id, reps = planned(client, org, add_reps, runtime, ["张三", "李四", "王五"])
    assert run(runtime, channels, org) == {"sent": 3 + 3 + 1, "retry": 0, "failed": 0}
    run(runtime, channels, org)  # again: nothing new is due
    (message,) = wecom[0].messages
    assert message["msgtype"] == "text"
    assert sorted(message["text"]["mentioned_mobile_list"]) == [f"1380000{i:04d}" for i in range(3)]
    assert "张三" in message["text"]["content"] and "/r/" in message["text"]["content"]
    assert {body["rep"]["id"] for body in webhook[0].received} == set(reps)
    assert webhook[0].received[0]["event"] == "reminder" and webhook[0].bad_signatures == 0
    (email,) = smtp[1]
    assert email["To"] == "rep1@brand.test" and "发布" in email["Subject"]
    assert plan(client, org, post_id)["reminded"] == 3


def test_nobody_is_reminded_before_the_slot_or_after_posting(
    client: TestClient, org: Org, add_reps: Any, runtime: Runtime, channels: Any, wecom: Any
) -> None:
    post_id, reps = planned(client, org, add_reps, runtime, ["张三", "李四"])
    assert run(runtime, channels, org, at=datetime.now(UTC) - timedelta(minutes=5))["sent"] == 0
    posted_as(client, runtime, reps[0], post_id)  # before the slot's reminder went out
    run(runtime, channels, org)
    (message,) = wecom[0].messages
    assert message["text"]["mentioned_mobile_list"] == ["13800000001"]


def posted_as(client: TestClient, runtime: Runtime, rep_id: int, post_id: int) -> None:
    """The rep presses 我已发布 on their own page."""
    with unit_of_work(runtime.sessions) as session:
        rep = session.get(Rep, rep_id)
        assert rep is not None
        path = personal_url(runtime, rep).removeprefix(runtime.settings.base_url)
    assert client.post(f"{path}/posts/{post_id}/posted").status_code == 200


def test_a_second_reminder_goes_only_to_reps_who_have_not_posted(
    client: TestClient, org: Org, add_reps: Any, runtime: Runtime, channels: Any, wecom: Any
) -> None:
    post_id, reps = planned(client, org, add_reps, runtime, ["张三", "李四", "王五"])
    run(runtime, channels, org)
    posted_as(client, runtime, reps[1], post_id)
    later = datetime.now(UTC) + timedelta(minutes=runtime.settings.second_reminder_after_minutes)
    run(runtime, channels, org, at=later + timedelta(seconds=1))
    _, second = wecom[0].messages
    assert "再次提醒" in second["text"]["content"]
    assert sorted(second["text"]["mentioned_mobile_list"]) == ["13800000000", "13800000002"]
    items = plan(client, org, post_id)["items"]
    assert sum(item["second_reminded_at"] is not None for item in items) == 2


@pytest.mark.parametrize("mode", ["500", "slow"])
def test_a_failing_webhook_is_retried_with_backoff_then_marked_failed_alone(
    client: TestClient,
    org: Org,
    add_reps: Any,
    runtime: Runtime,
    channels: Any,
    webhook: Any,
    wecom: Any,
    mode: str,
) -> None:
    webhook[0].mode = mode
    post_id, _ = planned(client, org, add_reps, runtime, ["张三", "李四"])
    at = datetime.now(UTC)
    delays = []
    for attempt in range(1, runtime.settings.reminder_max_attempts + 1):
        counts = run(runtime, channels, org, at=at)
        with unit_of_work(runtime.sessions) as session:
            rows = session.scalars(
                select(Reminder).where(Reminder.channel == "webhook", Reminder.org_id == org.id)
            ).all()
            mine = [r for r in rows if r.attempts == attempt]
            assert len(mine) == 2
        if attempt < runtime.settings.reminder_max_attempts:
            assert counts["retry"] == 2
            delays.append((mine[0].next_attempt_at - datetime.now(UTC)).total_seconds())
            at = max(r.next_attempt_at for r in mine) + timedelta(seconds=1)
        else:
            assert counts["failed"] == 2
            assert {r.status for r in mine} == {"failed"}
            assert ("HTTP 500" if mode == "500" else "Timeout") in (mine[0].last_error or "")
    assert all(later > 1.7 * earlier for earlier, later in itertools.pairwise(delays))
    state = plan(client, org, post_id)
    assert state["reminders_failed"] == 2
    assert state["reminded"] == 2  # the WeCom robot reached them all the same
    assert len(wecom[0].messages) == 1


def test_the_robot_is_sent_at_most_20_messages_a_minute(
    client: TestClient, org: Org, add_reps: Any, runtime: Runtime, wecom: Any
) -> None:
    robot = [WeComRobot(wecom[1], timeout=2, outbound=LOCAL)]
    post_id, _ = planned(client, org, add_reps, runtime, [f"导购{i}" for i in range(250)])
    assert run(runtime, robot, org)["sent"] == 20 * WeComRobot.batch_size
    assert run(runtime, robot, org)["sent"] == 0  # same minute: the rest wait
    assert len(wecom[0].messages) == 20 and wecom[0].refusals == []
    assert plan(client, org, post_id)["reminded"] == 200
    assert max(len(m["text"]["content"].encode()) for m in wecom[0].messages) <= 2048


class TestEachBrandsOwnChannels:
    def test_an_org_with_its_own_robot_is_reminded_there_the_others_on_the_installs(
        self, client: TestClient, make_org: Any, add_reps: Any, runtime: Runtime, monkeypatch: Any
    ) -> None:
        own, installs = FakeWeCom(key="brand-robot"), FakeWeCom(key="install-robot")
        with http_server(own) as own_base, http_server(installs) as install_base:
            monkeypatch.setattr(
                runtime.settings,
                "wecom_robot_url",
                f"{install_base}/cgi-bin/webhook/send?key=install-robot",
            )
            brand, other = make_org(), make_org()
            robot = f"{own_base}/cgi-bin/webhook/send?key=brand-robot"
            answer = client.put(
                "/api/org/reminder-channels", headers=brand.admin, json={"wecom_robot_url": robot}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["wecom_robot_url"].endswith("?…obot")  # the key stays hidden
            planned(client, brand, add_reps, runtime, ["品牌导购"])
            planned(client, other, add_reps, runtime, ["别家导购"])
            by_org = notifications.channels(runtime)
            for org in (brand, other):
                run(runtime, by_org[org.id], org)
        assert ["品牌导购" in m["text"]["content"] for m in own.messages] == [True]
        assert ["别家导购" in m["text"]["content"] for m in installs.messages] == [True]

    @pytest.mark.parametrize(
        ("body", "detail"),
        [
            ({"wecom_robot_url": "ftp://robot.example/send"}, "http or https URL"),
            ({"webhook_url": "https://hooks.example/mc"}, "at least 16 characters"),
            ({"webhook_url": "https://hooks.example/mc", "webhook_secret": "short"}, "16"),
            ({"smtp_url": "smtp://x"}, "Extra inputs"),
        ],
    )
    def test_bad_channels_are_refused_and_nothing_changes(
        self, client: TestClient, org: Org, body: dict[str, str], detail: str
    ) -> None:
        before = client.get("/api/org/reminder-channels", headers=org.admin).json()
        answer = client.put("/api/org/reminder-channels", headers=org.admin, json=body)
        assert answer.status_code == 422 and detail in answer.json()["detail"]
        assert client.get("/api/org/reminder-channels", headers=org.admin).json() == before

    def test_production_refuses_plain_http_and_internal_addresses(
        self, runtime: Runtime, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(runtime.settings, "env", "production")
        for url in (
            "http://robot.example/send",
            "https://127.0.0.1/send",
            "https://10.1.2.3/send",
            "https://[::1]/send",
            "https://localhost/send",
        ):
            with pytest.raises(Unprocessable):
                org_channels.check_endpoint(url, runtime.settings, field="wecom_robot_url")
        org_channels.check_endpoint(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            runtime.settings,
            field="wecom_robot_url",
        )

    def test_only_admins_see_or_change_them(self, client: TestClient, org: Org) -> None:
        assert client.get("/api/org/reminder-channels", headers=org.manager).status_code == 403
        put = client.put("/api/org/reminder-channels", headers=org.editor, json={})
        assert put.status_code == 403
