"""Publishing with a window: a plan with a slot per targeted rep, its progress, and posting."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.db import unit_of_work
from service.plans import service as plans_service
from service.runtime import Runtime
from tests.service.conftest import Org, jpeg_bytes
from tests.service.test_pages import HTML, browser
from tests.service.test_posts import upload

__all__ = ["browser"]  # the logged-in page client fixture
GENERATE = plans_service.GENERATE_TASK


def in_hours(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def publish(client: TestClient, org: Org, post_id: int, **body: Any) -> Any:
    return client.post(f"/api/posts/{post_id}/publish", headers=org.editor, json=body or None)


@pytest.fixture
def post_id(client: TestClient, org: Org) -> int:
    response = upload(client, org, images=[("a.jpg", jpeg_bytes())])
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_publishing_with_a_window_gives_every_targeted_rep_a_slot_inside_it(
    client: TestClient, org: Org, add_reps: Any, post_id: int
) -> None:
    add_reps(org, ["张三", "李四", "王五"], team="一店")
    add_reps(org, ["赵六"], team="二店")
    start, end = in_hours(1), in_hours(2.5)
    answer = publish(client, org, post_id, window_start=start, window_end=end, teams=["一店"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "published"
    plan = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
    assert plan["reps"] == 3 and plan["teams"] == ["一店"]
    assert {item["rep_name"] for item in plan["items"]} == {"张三", "李四", "王五"}
    for item in plan["items"]:
        slot = datetime.fromisoformat(item["slot_at"])
        assert datetime.fromisoformat(start) <= slot < datetime.fromisoformat(end)
    assert (plan["copies_ready"], plan["reminded"], plan["posted"]) == (0, 0, 0)


def test_publishing_again_keeps_the_first_plan(
    client: TestClient, org: Org, add_reps: Any, post_id: int
) -> None:
    add_reps(org, ["张三", "李四"])
    publish(client, org, post_id, window_start=in_hours(1), window_end=in_hours(3))
    first = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
    again = publish(client, org, post_id, window_start=in_hours(5), window_end=in_hours(6))
    assert again.status_code == 200
    assert client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json() == first


def test_without_a_window_the_plan_runs_from_now_for_two_hours(
    client: TestClient, org: Org, add_reps: Any, post_id: int
) -> None:
    add_reps(org, ["张三"])
    assert publish(client, org, post_id).status_code == 200
    plan = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
    length = datetime.fromisoformat(plan["window_end"]) - datetime.fromisoformat(
        plan["window_start"]
    )
    assert timedelta(minutes=118) <= length <= timedelta(minutes=120)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {
                "window_start": "2030-01-01T10:00:00+08:00",
                "window_end": "2030-01-01T09:00:00+08:00",
            },
            "after window_start",
        ),
        ({"window_end": "2020-01-01T09:00:00+08:00"}, "already ended"),
        ({"quiet_hours": ["22:00"]}, "two times"),
        ({"teams": ["不存在的店"]}, "no such team"),
        (
            {
                "window_start": "2030-01-01T23:00:00+08:00",
                "window_end": "2030-01-01T23:30:00+08:00",
                "quiet_hours": ["22:00", "08:00"],
            },
            "quiet hours",
        ),
    ],
)
def test_a_bad_plan_is_a_422_that_says_why_and_publishes_nothing(
    client: TestClient, org: Org, add_reps: Any, post_id: int, body: dict[str, Any], message: str
) -> None:
    add_reps(org, ["张三"])
    answer = publish(client, org, post_id, **body)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["detail"]
    assert client.get(f"/api/posts/{post_id}", headers=org.editor).json()["status"] == "draft"
    assert client.get(f"/api/posts/{post_id}/plan", headers=org.manager).status_code == 404


def test_unknown_fields_are_refused(client: TestClient, org: Org, post_id: int) -> None:
    assert publish(client, org, post_id, window="tonight").status_code == 422


def test_the_rep_page_shows_the_suggested_time_and_posting_counts_once(
    client: TestClient, org: Org, add_reps: Any, post_id: int, runtime: Runtime
) -> None:
    ((rep_id, path),) = add_reps(org, ["张三"])
    publish(client, org, post_id, window_start=in_hours(1), window_end=in_hours(2))
    plan = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
    slot = datetime.fromisoformat(plan["items"][0]["slot_at"])
    local = slot.astimezone(plans_service.ZoneInfo(runtime.settings.default_timezone))
    page = client.get(path).text
    assert re.search(rf"建议发布时间 (\d\d-\d\d )?{local:%H:%M}<", page)
    first = client.post(f"{path}/posts/{post_id}/posted").json()
    again = client.post(f"{path}/posts/{post_id}/posted").json()
    assert first["posted_at"] == again["posted_at"]
    plan = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
    assert (plan["posted"], plan["execution_rate"], plan["copies_ready"]) == (1, 1.0, 1)
    history = client.get(f"/api/reps/{rep_id}/history", headers=org.manager).json()
    assert [(h["post_id"], h["posted_at"]) for h in history] == [(post_id, first["posted_at"])]


def test_only_editors_publish_and_only_the_org_sees_the_plan(
    client: TestClient, org: Org, make_org: Any, add_reps: Any, post_id: int
) -> None:
    add_reps(org, ["张三"])
    denied = client.post(f"/api/posts/{post_id}/publish", headers=org.manager)
    assert denied.status_code == 403
    publish(client, org, post_id)
    other = make_org()
    assert client.get(f"/api/posts/{post_id}/plan", headers=other.admin).status_code == 404
    assert client.get(f"/api/posts/{post_id}/plan").status_code == 401


def test_fan_out_queues_every_missing_copy_in_chunks_and_generation_is_idempotent(
    client: TestClient, org: Org, add_reps: Any, post_id: int, runtime: Runtime
) -> None:
    reps = add_reps(org, [f"导购{i}" for i in range(7)])
    publish(client, org, post_id)
    with unit_of_work(runtime.sessions) as session:
        assert plans_service.fan_out(session, runtime.settings, org_id=org.id, post_id=post_id) == 7
    sent = [kw for name, kw in getattr(runtime.dispatcher, "sent", []) if name == "copies.generate"]
    chunks = [kw["rep_ids"] for kw in sent if kw["post_id"] == post_id]
    assert sorted(rep for chunk in chunks for rep in chunk) == sorted(r for r, _ in reps)
    for chunk in chunks + chunks:  # every task delivered twice
        plans_service.generate(
            runtime.sessions, runtime.storage, org_id=org.id, post_id=post_id, rep_ids=chunk
        )
    plan = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
    assert plan["copies_ready"] == 7
    texts = [
        client.get(f"/api/posts/{post_id}/copies/{rep}", headers=org.editor).json()["text"]
        for rep, _ in reps
    ]
    assert len(set(texts)) == 7


def test_the_preview_page_publishes_with_a_window_and_shows_the_plans_progress(
    browser: Any, add_reps: Any, org: Org, post_id: int
) -> None:
    page, csrf = browser
    add_reps(org, ["张三", "李四"], team="一店")
    add_reps(org, ["王五"], team="二店")
    form = page.get(f"/admin/posts/{post_id}", headers=HTML).text
    assert 'name="window_start"' in form and 'value="二店"' in form
    published = page.post(
        f"/admin/posts/{post_id}/publish",
        headers=HTML,
        data={
            "csrf": csrf,
            "window_start": "2030-05-01T19:30",
            "window_end": "2030-05-01T21:00",
            "quiet_start": "22:00",
            "quiet_end": "08:00",
            "teams": ["一店"],
        },
    )
    assert published.status_code == 200
    # The preview already made the first reps' copies, so they count as ready.
    assert "已生成 2/2 · 已提醒 0 · 已发布 0" in published.text
    assert "05-01 19:3" in published.text, re.findall(r"时段[^<]*", published.text)
    plan = page.get(f"/api/posts/{post_id}/plan").json()  # the login cookie reads the API
    assert plan["teams"] == ["一店"] and plan["quiet_hours"] == ["22:00", "08:00"]
    assert plan["window_start"].startswith("2030-05-01T11:3")  # 19:30 in Shanghai, in UTC


class TestRepsWhoJoinAfterPublishing:
    def test_they_get_a_slot_in_what_is_left_of_the_window_and_their_copy_is_queued(
        self, client: TestClient, org: Org, add_reps: Any, post_id: int, runtime: Runtime
    ) -> None:
        add_reps(org, ["张三", "李四"], team="一店")
        start, end = in_hours(-0.5), in_hours(1.5)
        publish(client, org, post_id, window_start=start, window_end=end, teams=["一店"])
        ((late, _),) = add_reps(org, ["新来的"], team="一店")
        add_reps(org, ["别的店"], team="二店")  # not targeted by this plan
        now = datetime.now(UTC)
        plans_service.enrol_late_reps(runtime.sessions, runtime.settings, now=now)
        plan = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
        assert {item["rep_name"] for item in plan["items"]} == {"张三", "李四", "新来的"}
        slot = next(
            datetime.fromisoformat(item["slot_at"])
            for item in plan["items"]
            if item["rep_id"] == late
        )
        assert now < slot < datetime.fromisoformat(end)  # not in the part already gone
        sent = [kw for name, kw in getattr(runtime.dispatcher, "sent", []) if name == GENERATE]
        assert any(kw["post_id"] == post_id and late in kw["rep_ids"] for kw in sent)
        history = client.get(f"/api/reps/{late}/history", headers=org.manager).json()
        assert [item["post_id"] for item in history] == [post_id]

    def test_enrolling_twice_adds_nothing_and_ended_plans_are_left_alone(
        self, client: TestClient, org: Org, add_reps: Any, post_id: int, runtime: Runtime
    ) -> None:
        add_reps(org, ["张三"])
        publish(client, org, post_id, window_start=in_hours(0.1), window_end=in_hours(1))
        add_reps(org, ["新来的"])
        for _ in range(2):
            plans_service.enrol_late_reps(runtime.sessions, runtime.settings)
        assert client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()["reps"] == 2
        add_reps(org, ["晚到的"])
        after_the_window = datetime.now(UTC) + timedelta(hours=2)
        plans_service.enrol_late_reps(runtime.sessions, runtime.settings, now=after_the_window)
        assert client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()["reps"] == 2

    def test_a_rep_page_lists_only_posts_for_the_reps_team_and_a_new_rep_sees_them_at_once(
        self, client: TestClient, org: Org, add_reps: Any, post_id: int
    ) -> None:
        add_reps(org, ["张三"], team="一店")
        publish(
            client, org, post_id, window_start=in_hours(0.2), window_end=in_hours(2), teams=["一店"]
        )
        ((_, other_team),) = add_reps(org, ["别的店"], team="二店")
        ((late, just_joined),) = add_reps(org, ["新来的"], team="一店")
        assert f"/posts/{post_id}/" not in client.get(other_team).text
        page = client.get(just_joined).text  # before any periodic job has run
        assert f"/posts/{post_id}/" in page and "建议发布时间" in page
        plan = client.get(f"/api/posts/{post_id}/plan", headers=org.manager).json()
        assert late in {item["rep_id"] for item in plan["items"]}
        assert plan["copies_ready"] == 1  # the page made the new rep's copy
