"""Tags from configurable rules per organisation, each with evidence a rep can act on."""

from __future__ import annotations

from typing import Any

from service import notifications
from service.db import unit_of_work
from service.notifications import Webhook
from service.outbound import Outbound
from service.runtime import Runtime
from service.tracking import alerts, repository, tags
from service.tracking.rules import Rules
from tests.scheduler.fakes import FakeWebhook, http_server
from tests.tracking.conftest import fold_all

LOCAL = Outbound(allow_private=True)  # the fake receiver listens on 127.0.0.1


def retag(runtime: Runtime, org_id: int) -> None:
    with unit_of_work(runtime.sessions) as session:
        tags.recompute(session, org_id=org_id)


def tags_of(staff_client: Any, org: Any, viewer_id: int) -> dict[str, str]:
    detail = staff_client.get(f"/api/viewers/{viewer_id}", headers=org.manager).json()
    return {tag["tag"]: tag["evidence"] for tag in detail["tags"]}


def read(phone: Any, path: str, *, engaged_ms: int, depth: int = 20) -> tuple[int, str]:
    token, child = phone.open(path)
    phone.beacon(token, s=1, v=engaged_ms, e=engaged_ms, d=depth, x={"s1": engaged_ms})
    return token, child


class TestTags:
    def test_reading_finishing_revisiting_sharing_and_topics(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        deep, skim, returner, friend, friend_of_friend = (viewer() for _ in range(5))
        _, deep_link = read(deep, shared.path, engaged_ms=13 * 60_000 + 2_000, depth=95)
        read(skim, shared.path, engaged_ms=15_000)
        for _ in range(3):
            read(returner, shared.path, engaged_ms=4_000)
        _, friend_link = read(friend, deep_link, engaged_ms=70_000)
        read(friend_of_friend, friend_link, engaged_ms=2_000)
        fold_all(runtime, journal)
        rules = staff_client.get("/api/tracking/rules", headers=shared.org.manager).json()
        rules["rules"]["koc"]["at_least"] = 2
        assert (
            staff_client.put(
                "/api/tracking/rules", json=rules, headers=shared.org.admin
            ).status_code
            == 200
        )
        retag(runtime, shared.org.id)

        ids = [
            row["viewer_id"]
            for row in staff_client.get(
                f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
            ).json()
        ]
        deep_id, skim_id, returner_id, friend_id = ids[0], ids[1], ids[2], ids[5]
        deep_tags = tags_of(staff_client, shared.org, deep_id)
        assert deep_tags["深读"] == "读了《培养宝宝创造力的三个方法》13分02秒"
        assert deep_tags["读完"].startswith("读完了《培养宝宝创造力的三个方法》")
        assert deep_tags["分享者"] == "转发后带来 1 位读者"
        assert deep_tags["KOC"] == "转发链带来 2 位读者"
        assert "创造力" in deep_tags  # a topic of the post, weighted by reading time
        assert "已读" not in deep_tags  # only the highest tier
        assert set(tags_of(staff_client, shared.org, skim_id)) >= {"已读"}
        assert "多次回访" in tags_of(staff_client, shared.org, returner_id)
        assert "细读" in tags_of(staff_client, shared.org, friend_id)

        listed = staff_client.get(
            "/api/viewers", params={"tag": "深读"}, headers=shared.org.manager
        ).json()["viewers"]
        assert [v["id"] for v in listed] == [deep_id]

    def test_a_rule_change_retags_on_the_next_run(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        phone = viewer()
        read(phone, shared.path, engaged_ms=15_000)
        fold_all(runtime, journal)
        retag(runtime, shared.org.id)
        (row,) = staff_client.get(
            f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
        ).json()
        assert "已读" in tags_of(staff_client, shared.org, row["viewer_id"])

        stricter = {"tiers": [{"tag": "看过", "seconds": 5}, {"tag": "认真读", "seconds": 12}]}
        response = staff_client.put(
            "/api/tracking/rules", json={"rules": stricter}, headers=shared.org.admin
        )
        assert response.status_code == 200
        assert "已读" in tags_of(staff_client, shared.org, row["viewer_id"])  # not until the run
        retag(runtime, shared.org.id)
        now = tags_of(staff_client, shared.org, row["viewer_id"])
        assert now["认真读"] == "读了《培养宝宝创造力的三个方法》15秒"
        assert "已读" not in now

    def test_bad_rules_are_422_and_change_nothing(self, share: Any, staff_client: Any) -> None:
        shared = share()
        before = staff_client.get("/api/tracking/rules", headers=shared.org.manager).json()
        for bad in [
            {"tiers": [{"tag": "", "seconds": 5}]},
            {"koc": {"at_least": -1, "tag": "K"}},
            {"nonsense": 1},
        ]:
            response = staff_client.put(
                "/api/tracking/rules", json={"rules": bad}, headers=shared.org.admin
            )
            assert response.status_code == 422
            assert response.json()["error"] == "invalid_rules"
        assert staff_client.get("/api/tracking/rules", headers=shared.org.manager).json() == before

    def test_only_admins_change_rules(self, share: Any, staff_client: Any) -> None:
        shared = share()
        response = staff_client.put(
            "/api/tracking/rules", json={"rules": {}}, headers=shared.org.editor
        )
        assert response.status_code == 403


class TestTopics:
    def test_the_editors_hashtags_are_topics_too(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share(text="周末亲子课报名中 #亲子阅读# 名额有限")
        phone = viewer()
        read(phone, shared.path, engaged_ms=120_000)
        skimmer = viewer()
        read(skimmer, shared.path, engaged_ms=5_000)
        fold_all(runtime, journal)
        retag(runtime, shared.org.id)
        reader, skim = (
            row["viewer_id"]
            for row in staff_client.get(
                f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
            ).json()
        )
        assert (
            tags_of(staff_client, shared.org, reader)["亲子阅读"]
            == "阅读「亲子阅读」相关内容 2分00秒"
        )
        assert "亲子阅读" not in tags_of(staff_client, shared.org, skim)  # under 30 s of reading


class TestTheTagJobStreams:
    """The job reads an organisation's page views once, as rows ordered by viewer, holding one
    viewer's views at a time: its memory must not grow with the views (issue 8's load)."""

    def test_rows_come_by_viewer_then_opening_order(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any
    ) -> None:
        shared = share()
        first, second = viewer(), viewer()
        for phone in (first, second, first, second, first):
            read(phone, shared.path, engaged_ms=5_000)
        fold_all(runtime, journal)
        with unit_of_work(runtime.sessions) as session:
            rows = list(repository.readings_of_org(session, org_id=shared.org.id))
        keys = [(row.viewer_id, row.id) for row in rows]
        assert len(rows) == 5 and keys == sorted(keys)
        assert all(isinstance(row, repository.Reading) for row in rows)

    def test_one_pass_over_a_stream_gives_the_same_tags_as_a_list(self) -> None:
        rules = Rules()
        views = [
            repository.Reading(id, viewer, 1, parent, 0, ms, scroll)
            for id, viewer, parent, ms, scroll in [
                (1, 10, None, 14 * 60_000, 95),
                (4, 10, None, 1_000, 10),
                (2, 11, 10, 70_000, 40),
                (5, 12, 11, 2_000, 5),
                (3, 13, 10, 3_000, 5),
            ]
        ]
        in_order = sorted(views, key=lambda v: (v.viewer_id, v.id))
        posts: dict[int, Any] = {}
        once = tags.compute(iter(in_order), posts, rules, {})
        assert once == tags.compute(in_order, posts, rules, {})
        found = {(f.viewer_id, f.kind) for f in once}
        assert {(10, "tier"), (10, "finished"), (10, "sharer"), (11, "sharer")} <= found
        assert (12, "sharer") not in found and (13, "tier") not in found
        evidence = {f.viewer_id: f.evidence for f in once if f.kind == "sharer"}
        assert evidence[10] == "转发后带来 2 位读者"  # 11 and 13: each viewer's first parent


class TestDuration:
    def test_reads_like_a_person_would_say_it(self) -> None:
        assert tags.duration(782_000) == "13分02秒"
        assert tags.duration(45_400) == "45秒"
        assert tags.duration(3_900_000) == "1小时05分"


class TestRepAlerts:
    def test_the_rep_page_shows_who_read_and_how_long(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        read(viewer(), shared.path, engaged_ms=13 * 60_000 + 2_000)
        fold_all(runtime, journal)
        retag(runtime, shared.org.id)
        page = staff_client.get(shared.rep_path).text
        assert "谁看了我的分享" in page
        assert "深读" in page and "读了《培养宝宝创造力的三个方法》13分02秒" in page

    def test_a_rep_without_readers_sees_no_empty_box(self, share: Any, staff_client: Any) -> None:
        shared = share()
        assert "谁看了我的分享" not in staff_client.get(shared.rep_path).text

    def test_crossing_a_tier_alerts_the_rep_once_and_tells_them_through_the_notifiers(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        phone = viewer()
        read(phone, shared.path, engaged_ms=75_000)
        fold_all(runtime, journal)
        retag(runtime, shared.org.id)
        retag(runtime, shared.org.id)  # the job runs again: nothing new to tell
        with unit_of_work(runtime.sessions) as session:
            (alert,) = alerts.for_rep(session, org_id=shared.org.id, rep_id=shared.rep_id)
            assert (alert.tag, alert.status) == ("细读", "pending")
        page = staff_client.get(shared.rep_path).text
        assert 'id="alerts"' in page and "细读" in page
        fake = FakeWebhook()
        with http_server(fake) as base:
            hook = Webhook(f"{base}/hook", fake.secret, timeout=2, outbound=LOCAL)
            counts = notifications.deliver_alerts(
                runtime.sessions, runtime, [hook], org_id=shared.org.id
            )
        assert counts["sent"] == 1
        (body,) = fake.received
        assert body["event"] == "viewer_alert" and body["rep"]["id"] == shared.rep_id
        assert "细读" in body["note"] and "1分15秒" in body["note"]
        # Reading on to the next tier is a new alert; with no notifier it stays on the page.
        read(phone, shared.path, engaged_ms=6 * 60_000)
        fold_all(runtime, journal)
        retag(runtime, shared.org.id)
        counts = notifications.deliver_alerts(runtime.sessions, runtime, [], org_id=shared.org.id)
        assert counts["none"] == 1
        with unit_of_work(runtime.sessions) as session:
            newest = alerts.for_rep(session, org_id=shared.org.id, rep_id=shared.rep_id)
            assert [a.tag for a in newest] == ["深读", "细读"]

    def test_todays_people_to_talk_to_put_the_warmest_reader_first(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        skim, deep = viewer(), viewer()
        read(skim, shared.path, engaged_ms=15_000)
        read(deep, shared.path, engaged_ms=8 * 60_000)
        fold_all(runtime, journal)
        retag(runtime, shared.org.id)
        page = staff_client.get(shared.rep_path).text
        line = page[page.index('id="talk-to"') :].split("</p>", 1)[0]
        assert line.index("深读") < line.index("已读")  # the deep reader is named first
