"""One viewer read model: every page and API that shows a viewer reads the same repository
and schema; the dashboard's old viewer paths are deprecated aliases of the viewer API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

ALIASES = [
    ("/api/viewers", "/api/dashboard/viewers"),
    ("/api/viewers/{viewer_id}", "/api/dashboard/viewers/{viewer_id}"),
]


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/viewers", headers=headers, params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["viewers"]
    return rows


class TestTheDashboardPathsAreAliases:
    @pytest.mark.parametrize(("path", "alias"), ALIASES)
    def test_same_answer_as_the_viewer_api(
        self, share: Any, viewer: Any, staff_client: TestClient, path: str, alias: str
    ) -> None:
        shared = share()
        viewer().open(shared.path)
        (row,) = listed(staff_client, shared.org.manager)
        urls = [p.format(viewer_id=row["id"]) for p in (path, alias)]
        answers = [staff_client.get(url, headers=shared.org.manager) for url in urls]
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].json() == answers[1].json()

    @pytest.mark.parametrize(("path", "alias"), ALIASES)
    def test_openapi_marks_only_the_alias_deprecated_with_the_same_schema(
        self, staff_client: TestClient, path: str, alias: str
    ) -> None:
        paths = staff_client.get("/openapi.json").json()["paths"]
        canonical, old = paths[path]["get"], paths[alias]["get"]
        assert "deprecated" not in canonical and old["deprecated"] is True
        assert path.replace("{viewer_id}", "") in old["description"].replace("{viewer_id}", "")
        schema = [op["responses"]["200"]["content"]["application/json"] for op in (canonical, old)]
        assert schema[0] == schema[1]


class TestOneViewerEverywhere:
    def test_a_reps_readers_are_the_staff_list_filtered_by_rep(
        self, share: Any, viewer: Any, staff_client: TestClient
    ) -> None:
        mine, theirs = share(rep_name="张晓雯"), share(rep_name="李俊杰")
        viewer().open(mine.path)
        viewer().open(theirs.path)
        own = staff_client.get(f"{mine.rep_path}/viewers.json").json()
        assert own == listed(staff_client, mine.org.manager, rep_id=mine.rep_id)
        assert len(own) == 1 and own[0]["rep_id"] == mine.rep_id
        assert own[0]["rep_name"] == "张晓雯"

    def test_the_detail_lists_each_view_with_post_title_and_rep(
        self, share: Any, viewer: Any, staff_client: TestClient
    ) -> None:
        shared = share(title="秋冬护肤指南")
        viewer().open(shared.path)
        (row,) = listed(staff_client, shared.org.manager)
        detail = staff_client.get(f"/api/viewers/{row['id']}", headers=shared.org.manager).json()
        assert {k: detail[k] for k in row} == row
        (visit,) = detail["timeline"]
        assert (visit["post_title"], visit["rep_name"]) == ("秋冬护肤指南", "张晓雯")

    def test_a_rep_naming_a_reader_sees_only_the_views_of_their_own_links(
        self, share: Any, viewer: Any, staff_client: TestClient
    ) -> None:
        mine, theirs = share(rep_name="王芳"), share(rep_name="刘婷")
        phone = viewer()
        phone.open(mine.path)
        phone.open(theirs.path)  # the same phone, through a colleague's link
        (reader,) = staff_client.get(f"{mine.rep_path}/viewers.json").json()
        named = staff_client.post(
            f"{mine.rep_path}/viewers/{reader['id']}/label", json={"label": "优优妈妈"}
        ).json()
        staff = staff_client.get(f"/api/viewers/{reader['id']}", headers=mine.org.manager).json()
        assert [v["rep_name"] for v in named["timeline"]] == ["王芳"]
        assert sorted(v["rep_name"] for v in staff["timeline"]) == ["刘婷", "王芳"]
