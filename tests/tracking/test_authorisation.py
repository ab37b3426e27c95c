"""Who sees which viewers: staff only their organisation's, a rep only their own readers."""

from __future__ import annotations

from typing import Any

from service.runtime import Runtime
from tests.tracking.conftest import fold_all


class TestStaff:
    def test_another_organisation_reaches_nothing(
        self, share: Any, viewer: Any, staff_client: Any, make_org: Any
    ) -> None:
        shared = share()
        phone = viewer()
        phone.open(shared.path)
        viewer_id = staff_client.get("/api/viewers", headers=shared.org.manager).json()["viewers"][
            0
        ]["id"]
        other = make_org()
        for url in [
            f"/api/posts/{shared.post_id}/views",
            f"/api/posts/{shared.post_id}/share-tree",
            f"/api/viewers/{viewer_id}",
            f"/api/viewers/{viewer_id}/export",
        ]:
            assert staff_client.get(url, headers=other.admin).status_code == 404, url
        assert staff_client.get("/api/viewers", headers=other.admin).json()["viewers"] == []
        assert (
            staff_client.delete(f"/api/viewers/{viewer_id}", headers=other.admin).status_code == 404
        )
        assert staff_client.get("/api/viewers").status_code == 401

    def test_only_admins_export_and_erase(
        self, runtime: Runtime, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        phone = viewer()
        token, child = phone.open(shared.path)
        viewer().open(child)  # someone phone's owner shared it with
        viewer_id = staff_client.get(
            f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
        ).json()[0]["viewer_id"]
        url = f"/api/viewers/{viewer_id}"
        assert staff_client.delete(url, headers=shared.org.manager).status_code == 403
        exported = staff_client.get(f"{url}/export", headers=shared.org.admin).json()
        assert exported["viewer"]["id"] == viewer_id and exported["cookie_id"]
        assert staff_client.delete(url, headers=shared.org.admin).status_code == 204
        assert staff_client.get(url, headers=shared.org.admin).status_code == 404
        phone.beacon(token, s=2, v=3000, e=3000)  # a late beacon of the erased view
        fold_all(runtime, journal)
        rows = staff_client.get(
            f"/api/posts/{shared.post_id}/views", headers=shared.org.manager
        ).json()
        assert [row["parent_viewer_id"] for row in rows] == [None]  # the friend, unlinked


class TestReps:
    def test_a_rep_sees_and_names_only_their_own_readers(
        self, share: Any, viewer: Any, staff_client: Any, add_reps: Any
    ) -> None:
        mine = share(rep_name="张晓雯")
        theirs = share(rep_name="李俊杰")
        viewer().open(mine.path)
        viewer().open(theirs.path)
        own = staff_client.get(f"{mine.rep_path}/viewers.json").json()
        other = staff_client.get(f"{theirs.rep_path}/viewers.json").json()
        assert len(own) == 1 and len(other) == 1 and own[0]["id"] != other[0]["id"]

        named = staff_client.post(
            f"{mine.rep_path}/viewers/{own[0]['id']}/label", json={"label": "优优妈妈"}
        )
        assert named.status_code == 200 and named.json()["label"] == "优优妈妈"
        refused = staff_client.post(
            f"{mine.rep_path}/viewers/{other[0]['id']}/label", json={"label": "x"}
        )
        assert refused.status_code == 404
        assert staff_client.get(f"{theirs.rep_path}/viewers.json").json()[0]["label"] == ""

    def test_the_rep_page_form_names_a_reader_without_javascript(
        self, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        mine, theirs = share(rep_name="王芳"), share(rep_name="刘婷")
        viewer().open(mine.path)
        viewer().open(theirs.path)
        (own,) = staff_client.get(f"{mine.rep_path}/viewers.json").json()
        (other,) = staff_client.get(f"{theirs.rep_path}/viewers.json").json()
        named = staff_client.post(
            f"{mine.rep_path}/viewers/{own['id']}/name",
            data={"label": "优优妈妈"},
            follow_redirects=False,
        )
        assert named.status_code == 303 and named.headers["location"].endswith("#readers")
        assert "优优妈妈" in staff_client.get(mine.rep_path).text
        refused = staff_client.post(
            f"{mine.rep_path}/viewers/{other['id']}/name", data={"label": "x"}
        )
        assert refused.status_code == 404

    def test_an_unknown_rep_link_sees_nothing(self, staff_client: Any) -> None:
        assert staff_client.get("/r/not-a-token/viewers.json").status_code == 404
