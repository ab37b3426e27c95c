"""Share links: the rep's link, each viewer's child link, and the re-share tree per post."""

from __future__ import annotations

from typing import Any

from tests.tracking.conftest import fold_all


def tree(staff_client: Any, shared: Any) -> dict[str, Any]:
    response = staff_client.get(
        f"/api/posts/{shared.post_id}/share-tree", headers=shared.org.manager
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def views(staff_client: Any, shared: Any) -> list[dict[str, Any]]:
    response = staff_client.get(f"/api/posts/{shared.post_id}/views", headers=shared.org.manager)
    return list(response.json())


class TestShareChain:
    def test_a_re_share_links_the_new_viewer_to_the_one_who_shared(
        self, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        alice, bob, carol = viewer(), viewer(), viewer()
        _, alice_link = alice.open(shared.path)
        _, bob_link = bob.open(alice_link, **{"from": "singlemessage"})
        carol.open(bob_link, **{"from": "groupmessage"})
        rows = views(staff_client, shared)
        alice_id, bob_id, carol_id = (row["viewer_id"] for row in rows)
        assert [row["parent_viewer_id"] for row in rows] == [None, alice_id, bob_id]
        assert [row["channel"] for row in rows] == ["", "singlemessage", "groupmessage"]
        assert {row["rep_id"] for row in rows} == {shared.rep_id}  # credit stays with the rep

        (branch,) = tree(staff_client, shared)["reps"]
        assert branch["rep_id"] == shared.rep_id
        (a,) = branch["children"]
        (b,) = a["children"]
        (c,) = b["children"]
        assert (a["viewer_id"], b["viewer_id"], c["viewer_id"]) == (alice_id, bob_id, carol_id)
        assert c["children"] == []

    def test_reopening_ones_own_link_is_not_a_self_share(
        self, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        alice, bob = viewer(), viewer()
        _, alice_link = alice.open(shared.path)
        _, bob_link = bob.open(alice_link)
        bob.open(bob_link)  # reload after the address bar switched to bob's own link
        rows = views(staff_client, shared)
        assert rows[1]["viewer_id"] == rows[2]["viewer_id"]
        assert rows[2]["parent_viewer_id"] == rows[0]["viewer_id"]  # still alice

    def test_the_same_phone_is_one_viewer_across_opens(
        self, runtime: Any, journal: Any, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        phone = viewer()
        for seq in range(3):
            token, _ = phone.open(shared.path)
            phone.beacon(token, s=1, v=2000 + seq * 1000, e=2000)
        fold_all(runtime, journal)
        rows = views(staff_client, shared)
        assert len(rows) == 3 and len({row["viewer_id"] for row in rows}) == 1
        detail = staff_client.get(
            f"/api/viewers/{rows[0]['viewer_id']}", headers=shared.org.manager
        ).json()
        assert detail["views"] == 3
        assert detail["engaged_seconds"] == 6.0

    def test_a_forged_share_link_is_404(self, share: Any, viewer: Any) -> None:
        shared = share()
        response = viewer().http.get(shared.path[:-4] + "abcd")
        assert response.status_code == 404
        assert response.json()["error"] == "share_not_found"


class TestRepPage:
    def test_shows_the_share_link_with_a_copy_button(
        self, share: Any, staff_client: Any, add_reps: Any, runtime: Any
    ) -> None:
        shared = share()
        copy = staff_client.get(
            f"/api/posts/{shared.post_id}/copies/{shared.rep_id}", headers=shared.org.editor
        ).json()
        assert copy["share_url"] == runtime.settings.base_url + shared.path
        own = staff_client.get(f"{shared.rep_path}/posts/{shared.post_id}.json").json()
        assert own["share_url"] == copy["share_url"]
        page = staff_client.get(shared.rep_path).text
        assert "复制链接" in page and shared.path in page
        landing = staff_client.get(shared.path, headers={"user-agent": "Mozilla/5.0 (iPhone) x"})
        assert landing.status_code == 200
        assert "阅读时长" in landing.text  # the privacy notice
        assert "一、给孩子留白" in landing.text  # the article, in sections
        assert 'data-section="s2"' in landing.text


def past_cookie_check(phone: Any, path: str, **params: str) -> Any:
    """A first open without cookies is redirected once to the same link (issue 15: nothing
    is counted until the cookie comes back); the response after that hop."""
    check = phone.http.get(path, params=params or None, follow_redirects=False)
    assert check.status_code == 302 and check.headers["location"].startswith(path.split("?")[0])
    assert "c=1" in check.headers["location"] and "mc_viewer" in check.cookies
    return phone.http.get(check.headers["location"], follow_redirects=False)


class TestOwnLinkRedirect:
    """WeChat on iOS shares the URL the server landed on, so each viewer is redirected to
    their own link before the page is served; a hop token carries where they came from.
    (Since issue 15 a browser without cookies first takes one cookie-check hop.)"""

    def test_the_first_open_lands_on_the_viewers_own_link(
        self, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        phone = viewer()
        hop = past_cookie_check(phone, shared.path, **{"from": "timeline"})
        assert hop.status_code == 302
        target = hop.headers["location"]
        assert target.startswith("/s/") and not target.startswith(shared.path)
        assert "from=timeline" in target and "h=" in target
        assert views(staff_client, shared) == []  # the hop itself is not a page view
        landing = phone.http.get(target)
        assert landing.status_code == 200 and f'data-child="{target.split("?")[0]}"' in landing.text
        (row,) = views(staff_client, shared)
        assert (row["parent_viewer_id"], row["channel"]) == (None, "timeline")

    def test_a_copied_url_with_a_fresh_hop_is_served_without_a_loop(
        self, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        alice, bob = viewer(), viewer()
        target = past_cookie_check(alice, shared.path).headers["location"]
        alice.http.get(target)
        copied = past_cookie_check(bob, target)  # within the hop's two minutes
        assert copied.status_code == 200
        rows = views(staff_client, shared)
        assert rows[1]["parent_viewer_id"] == rows[0]["viewer_id"]  # bob came from alice

    def test_a_stale_hop_is_ignored(
        self, share: Any, viewer: Any, staff_client: Any, monkeypatch: Any
    ) -> None:
        from service import links

        shared = share()
        alice, bob = viewer(), viewer()
        target = past_cookie_check(alice, shared.path).headers["location"]
        alice.http.get(target)
        monkeypatch.setattr(links, "HOP_MAX_AGE_SECONDS", -1)
        again = past_cookie_check(bob, target)
        assert again.status_code == 302 and "c=1" not in again.headers["location"]


class TestLandingImages:
    def test_the_reps_copy_images_are_served_on_the_share_link(
        self, share: Any, viewer: Any
    ) -> None:
        shared = share(images=1)
        phone = viewer()
        landing = phone.http.get(shared.path)
        assert landing.status_code == 200
        image_path = landing.url.path + "/images/0"
        assert f'src="{image_path}"' in landing.text
        image = phone.http.get(image_path)
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert phone.http.get(landing.url.path + "/images/5").status_code == 404
