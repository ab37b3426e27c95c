"""The dashboard's JSON and CSV against the seeded campaign (see seed.py for the table the
numbers come from), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from service.dashboard import rollup
from service.db import unit_of_work
from service.runtime import Runtime
from service.web import CHINA
from tests.dashboard.seed import Scenario, add_view
from tests.service.conftest import Org


def get(client: TestClient, org: Org, url: str, **params: Any) -> Any:
    response = client.get(url, headers=org.manager, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def rows_of(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


class TestPostDetail:
    def test_funnel_counts_reps_copies_views_and_readers(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        data = get(client, org, f"/api/dashboard/posts/{campaign.post1}")
        assert data["funnel"] == {
            "reps_targeted": 3,  # 王芳 is inactive
            "copies_opened": 2,
            "posted": 1,
            "views": 7,
            "unique_viewers": 6,
            "careful_viewers": 3,  # V1 70 s, V2 400 s, V7 350 s
            "deep_viewers": 2,  # V2, V7
        }
        assert data["thresholds"] == {"careful_seconds": 60, "deep_seconds": 300}
        assert data["median_engaged_seconds"] == 50.0  # 0, 5, 30 | 70, 350, 400
        other = get(client, org, f"/api/dashboard/posts/{campaign.post2}")
        assert other["median_engaged_seconds"] == 67.5  # 15 | 120

    def test_rep_table_most_views_first(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        reps = get(client, org, f"/api/dashboard/posts/{campaign.post1}")["reps"]
        table = [
            (
                r["name"],
                r["views"],
                r["unique_viewers"],
                r["engaged_seconds"],
                r["median_engaged_seconds"],
                r["posted_at"] is not None,
                r["opened_at"] is not None,
            )
            for r in reps
        ]
        assert table == [
            ("张晓雯", 4, 3, 475.0, 70.0, True, True),
            ("李俊杰", 2, 2, 30.0, 15.0, False, True),
            ("陈思远", 1, 1, 350.0, 350.0, False, False),
        ]

    def test_histogram_completion_and_sections(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        data = get(client, org, f"/api/dashboard/posts/{campaign.post1}")
        assert [b["viewers"] for b in data["histogram"]] == [2, 0, 1, 1, 0, 2]
        curve = {p["depth_percent"]: p["viewers_percent"] for p in data["completion"]}
        assert curve == {
            0: 100.0,
            10: 83.3,
            20: 66.7,
            30: 66.7,
            40: 66.7,
            50: 66.7,
            60: 66.7,
            70: 50.0,
            80: 50.0,
            90: 50.0,
            100: 33.3,
        }
        sections = [
            (s["id"], s["title"], s["seconds"], s["share_percent"]) for s in data["sections"]
        ]
        assert sections == [
            ("copy", "文案", 30.0, 3.7),
            ("s1", "第1部分", 100.0, 12.2),
            ("s2", "一、给孩子留白", 40.0, 4.9),
            ("s3", "二、提问比回答更重要", 650.0, 79.3),
            ("s4", "三、动手做", 0.0, 0.0),
        ]

    def test_tree_marks_sharers_and_kocs(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        tree = get(client, org, f"/api/dashboard/posts/{campaign.post1}")["tree"]
        v = campaign.viewers
        shown = {
            n["viewer_id"]: (
                n["parent_viewer_id"],
                n["direct"],
                n["downstream"],
                n["sharer"],
                n["koc"],
            )
            for n in tree
        }
        assert shown == {
            v["V1"]: (None, 1, 2, True, True),  # KOC from 2 downstream (the org's rule)
            v["V2"]: (v["V1"], 1, 1, True, False),
        }
        assert tree[0]["label"] == "优优妈妈"

    def test_rep_table_csv(self, client: TestClient, org: Org, campaign: Scenario) -> None:
        rows = rows_of(
            client.get(f"/api/dashboard/posts/{campaign.post1}/reps.csv", headers=org.editor)
        )
        assert rows[0][:3] == ["销售ID", "销售", "团队"]
        assert [r[1] for r in rows[1:]] == ["张晓雯", "李俊杰", "陈思远"]
        assert rows[0][3:6] == ["建议时间", "打开素材", "已发布"]
        assert rows[1][5] != "" and rows[2][5] == ""  # posted at, in China time
        assert rows[1][6:10] == ["4", "3", "475.0", "70.0"]


class TestCampaign:
    def test_every_post_with_its_funnel_newest_first(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        data = get(client, org, "/api/dashboard/campaign")
        assert [p["post_id"] for p in data["posts"]] == [campaign.post2, campaign.post1]
        newest, older = data["posts"]
        assert newest["funnel"] == {
            "reps_targeted": 3,
            "copies_opened": 2,
            "posted": 2,
            "views": 2,
            "unique_viewers": 2,
            "careful_viewers": 1,
            "deep_viewers": 0,
        }
        assert newest["median_engaged_seconds"] == 67.5
        assert newest["posted_percent"] == 66.7
        assert older["funnel"]["views"] == 7 and older["funnel"]["deep_viewers"] == 2
        assert older["median_engaged_seconds"] == 50.0  # the same as on the post's page
        assert data["teams"] == ["朝阳店", "海淀店"]

    def test_a_post_published_to_one_team_targets_only_its_reps_everywhere(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        post = client.post(
            "/api/posts", headers=org.editor, data={"title": "朝阳店专场", "text": "到店有礼"}
        ).json()
        published = client.post(
            f"/api/posts/{post['id']}/publish", headers=org.editor, json={"teams": ["朝阳店"]}
        )
        assert published.status_code == 200, published.text
        data = get(client, org, "/api/dashboard/campaign")
        funnel = {p["post_id"]: p["funnel"] for p in data["posts"]}[post["id"]]
        assert funnel["reps_targeted"] == 2  # 张 and 李, not 陈 of 海淀店
        haidian = get(client, org, "/api/dashboard/campaign", team="海淀店")
        assert {p["post_id"]: p for p in haidian["posts"]}[post["id"]]["funnel"][
            "reps_targeted"
        ] == 0
        board = get(client, org, "/api/dashboard/leaderboard")
        targeted = {r["name"]: r["targeted"] for r in board["reps"]}
        assert targeted == {"张晓雯": 3, "李俊杰": 3, "陈思远": 2}  # 2 posts for all, 1 for 朝阳店
        teams = {t["name"]: t["targeted"] for t in board["teams"]}
        assert teams == {"朝阳店": 6, "海淀店": 2}

    def test_a_team_counts_only_its_reps(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        data = get(client, org, "/api/dashboard/campaign", team="海淀店")
        by_id = {p["post_id"]: p["funnel"] for p in data["posts"]}
        assert by_id[campaign.post1] == {
            "reps_targeted": 1,
            "copies_opened": 0,
            "posted": 0,
            "views": 1,
            "unique_viewers": 1,
            "careful_viewers": 1,
            "deep_viewers": 1,
        }
        assert by_id[campaign.post2]["posted"] == 1 and by_id[campaign.post2]["views"] == 2

    def test_a_date_range_in_china_days(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        two_days_ago = (campaign.now - timedelta(days=2)).astimezone(CHINA).date()
        data = get(client, org, "/api/dashboard/campaign", since=two_days_ago.isoformat())
        assert [p["post_id"] for p in data["posts"]] == [campaign.post2]
        data = get(client, org, "/api/dashboard/campaign", until=two_days_ago.isoformat())
        assert [p["post_id"] for p in data["posts"]] == [campaign.post1]

    def test_a_reversed_range_is_400(self, client: TestClient, org: Org) -> None:
        response = client.get(
            "/api/dashboard/campaign",
            headers=org.manager,
            params={"since": "2026-11-10", "until": "2026-11-01"},
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_period"

    def test_csv(self, client: TestClient, org: Org, campaign: Scenario) -> None:
        rows = rows_of(client.get("/api/dashboard/campaign.csv", headers=org.manager))
        assert [r[1] for r in rows[1:]] == ["秋冬护肤指南", "培养宝宝创造力的三个方法"]
        assert rows[2][3:11] == ["3", "2", "1", "33.3", "7", "6", "3", "2"]


class TestViewers:
    def test_list_newest_first_with_tags_evidence_and_rep(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        data = get(client, org, "/api/dashboard/viewers")
        assert data["total"] == 7
        v = campaign.viewers
        assert data["viewers"][0]["id"] in {v["V1"], v["V6"]}  # both seen a day ago
        first = {row["id"]: row for row in data["viewers"]}[v["V1"]]
        assert first["rep_name"] == "张晓雯" and first["label"] == "优优妈妈"
        assert first["views"] == 3 and first["engaged_seconds"] == 190.0
        tags = {t["tag"]: t["evidence"] for t in first["tags"]}
        assert tags["细读"] == "读了《秋冬护肤指南》2分00秒"
        assert {"读完", "多次回访", "分享者", "KOC"} <= set(tags)

    def test_pages_keep_the_total(self, client: TestClient, org: Org, campaign: Scenario) -> None:
        first = get(client, org, "/api/dashboard/viewers", limit=5)
        rest = get(client, org, "/api/dashboard/viewers", limit=5, offset=5)
        beyond = get(client, org, "/api/dashboard/viewers", limit=5, offset=10)
        assert [(p["total"], len(p["viewers"])) for p in (first, rest, beyond)] == [
            (7, 5),
            (7, 2),
            (7, 0),
        ]
        assert {v["id"] for v in first["viewers"] + rest["viewers"]} == set(
            campaign.viewers.values()
        )

    def test_search_by_label_or_number(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        found = get(client, org, "/api/dashboard/viewers", q="优优")
        assert [row["id"] for row in found["viewers"]] == [campaign.viewers["V1"]]
        found = get(client, org, "/api/dashboard/viewers", q=f"#{campaign.viewers['V4']}")
        assert [row["id"] for row in found["viewers"]] == [campaign.viewers["V4"]]

    def test_tags_must_all_match(self, client: TestClient, org: Org, campaign: Scenario) -> None:
        found = get(client, org, "/api/dashboard/viewers", tag=["深读", "育儿"])
        assert {row["id"] for row in found["viewers"]} == {
            campaign.viewers["V2"],
            campaign.viewers["V7"],
        }

    def test_segment_in_the_last_days(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        v = campaign.viewers
        week = get(client, org, "/api/dashboard/segments", tag=["深读", "育儿"], days=7)
        assert [row["id"] for row in week] == [v["V2"]]  # V7 was last seen ten days ago
        month = get(client, org, "/api/dashboard/segments", tag=["深读", "育儿"], days=30)
        assert [row["id"] for row in month] == [v["V2"], v["V7"]]

    def test_segment_csv_for_reps_to_follow_up(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        response = client.get(
            "/api/dashboard/segments.csv",
            headers=org.manager,
            params={"tag": ["深读", "育儿"], "days": 30},
        )
        rows = rows_of(response)
        assert "filename*=UTF-8''" in response.headers["content-disposition"]
        assert [r[0] for r in rows[1:]] == [
            str(campaign.viewers["V2"]),
            str(campaign.viewers["V7"]),
        ]
        assert rows[2][1] == "<b>乐乐</b>" and rows[2][7] == "陈思远"
        assert "深读" in rows[2][2].split() and "读了《" in rows[2][3]

    def test_a_segment_needs_a_tag_and_sane_days(self, client: TestClient, org: Org) -> None:
        assert client.get("/api/dashboard/segments", headers=org.manager).status_code == 400
        response = client.get(
            "/api/dashboard/segments", headers=org.manager, params={"tag": "深读", "days": 0}
        )
        assert response.status_code == 400 and response.json()["error"] == "invalid_days"

    def test_viewer_timeline_newest_first(
        self, client: TestClient, org: Org, campaign: Scenario
    ) -> None:
        data = get(client, org, f"/api/dashboard/viewers/{campaign.viewers['V1']}")
        entries = [
            (e["post_title"], e["rep_name"], e["engaged_seconds"], e["max_scroll_percent"])
            for e in data["timeline"]
        ]
        assert entries == [
            ("秋冬护肤指南", "陈思远", 120.0, 80),
            ("培养宝宝创造力的三个方法", "张晓雯", 20.0, 40),
            ("培养宝宝创造力的三个方法", "张晓雯", 50.0, 95),
        ]
        v2 = get(client, org, f"/api/dashboard/viewers/{campaign.viewers['V2']}")
        assert v2["timeline"][0]["via_viewer_id"] == campaign.viewers["V1"]


class TestLeaderboard:
    def test_reps_by_execution_rate(self, client: TestClient, org: Org, campaign: Scenario) -> None:
        data = get(client, org, "/api/dashboard/leaderboard")
        assert data["posts"] == 2
        reps = [
            (
                r["name"],
                r["posted"],
                r["targeted"],
                r["execution_percent"],
                r["views"],
                r["unique_viewers"],
                r["engaged_seconds"],
            )
            for r in data["reps"]
        ]
        assert reps == [
            ("张晓雯", 2, 2, 100.0, 4, 3, 475.0),
            ("陈思远", 1, 2, 50.0, 3, 3, 485.0),
            ("李俊杰", 0, 2, 0.0, 2, 2, 30.0),
        ]
        teams = [
            (t["name"], t["reps"], t["posted"], t["targeted"], t["execution_percent"], t["views"])
            for t in data["teams"]
        ]
        assert teams == [("朝阳店", 2, 2, 4, 50.0, 6), ("海淀店", 1, 1, 2, 50.0, 3)]

    def test_a_reader_of_two_posts_or_of_two_reps_in_a_team_counts_once(
        self, client: TestClient, org: Org, campaign: Scenario, runtime: Runtime
    ) -> None:
        with unit_of_work(runtime.sessions) as session:  # V1 also reads post 2 through 张
            at = campaign.now - timedelta(hours=5)
            r, v = campaign.reps, campaign.viewers
            add_view(session, org.id, campaign.post2, r["张"], v["V1"], at=at, ms=9_000, scroll=50)
            rollup.refresh_post(session, org_id=org.id, post_id=campaign.post2)
        data = get(client, org, "/api/dashboard/leaderboard")
        reps = {r["name"]: r["unique_viewers"] for r in data["reps"]}
        teams = {t["name"]: t["unique_viewers"] for t in data["teams"]}
        assert reps["张晓雯"] == 3  # V1, V2, V3 (per post summed: 4)
        assert teams == {"朝阳店": 5, "海淀店": 3}  # 张 ∪ 李 = V1-V5; 陈: V7, V1, V6

    def test_sorted_by_engaged_time(self, client: TestClient, org: Org, campaign: Scenario) -> None:
        data = get(client, org, "/api/dashboard/leaderboard", sort="engaged")
        assert [r["name"] for r in data["reps"]] == ["陈思远", "张晓雯", "李俊杰"]
        bad = client.get("/api/dashboard/leaderboard", headers=org.manager, params={"sort": "x"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_sort"

    def test_csv_of_both_tables(self, client: TestClient, org: Org, campaign: Scenario) -> None:
        reps = rows_of(client.get("/api/dashboard/leaderboard/reps.csv", headers=org.admin))
        assert [r[0] for r in reps[1:]] == ["张晓雯", "陈思远", "李俊杰"]
        teams = rows_of(client.get("/api/dashboard/leaderboard/teams.csv", headers=org.admin))
        assert teams[1][:6] == ["朝阳店", "朝阳店", "2", "2", "4", "50.0"]
