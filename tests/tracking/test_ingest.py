"""POST /t: a checked beacon is queued without touching the database, and the consumer folds
it into one row per page view; on the embedded journal and on a real Redis stream."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from service.db import unit_of_work
from service.models.tracking import PageView
from service.runtime import Runtime
from service.tracking import consumer
from service.tracking.events import EventStore
from service.tracking.fold import fold
from tests.tracking.conftest import fold_all


def views(staff_client: Any, shared: Any) -> list[dict[str, Any]]:
    response = staff_client.get(f"/api/posts/{shared.post_id}/views", headers=shared.org.manager)
    assert response.status_code == 200, response.text
    return list(response.json())


class TestAcceptedBeacons:
    def test_are_folded_into_one_row_per_page_view(
        self, runtime: Runtime, store: EventStore, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        phone = viewer()
        token, _ = phone.open(shared.path, **{"from": "timeline"})
        for seq, (visible, engaged, depth) in enumerate([(5000, 5000, 30), (10000, 9000, 55)], 1):
            response = phone.beacon(
                token, s=seq, v=visible, e=engaged, d=depth, x={"copy": 2000, "s1": engaged - 2000}
            )
            assert response.status_code == 204
            assert response.content == b""
        assert fold_all(runtime, store) == 2
        (row,) = views(staff_client, shared)
        assert row["visible_seconds"] == 10.0
        assert row["engaged_seconds"] == 9.0
        assert row["max_scroll_percent"] == 55
        assert row["sections"] == {"copy": 2.0, "s1": 7.0}
        assert row["channel"] == "timeline"
        assert row["rep_id"] == shared.rep_id
        assert row["parent_viewer_id"] is None

    def test_never_touch_the_database(
        self, runtime: Runtime, store: EventStore, share: Any, viewer: Any
    ) -> None:
        phone = viewer()
        token, _ = phone.open(share().path)
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(runtime.engine, "before_cursor_execute", listener)
        try:
            assert phone.beacon(token, s=1, v=3000, e=3000).status_code == 204
        finally:
            event.remove(runtime.engine, "before_cursor_execute", listener)
        assert statements == []
        assert store.backlog() == 1

    def test_replayed_twice_and_shuffled_change_nothing(
        self, runtime: Runtime, store: EventStore, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        first, second = viewer(), viewer()
        tokens = [first.open(shared.path)[0], second.open(shared.path)[0]]
        beacons = [
            {
                "t": token,
                "s": s,
                "v": s * 5000,
                "e": s * 4000,
                "d": min(100, s * 20),
                "x": {"copy": 1000 * s, "s1": 3000 * s},
            }
            for token in tokens
            for s in range(1, 5)
        ]
        for body in beacons:
            first.beacon(**body)
        fold_all(runtime, store)
        once = views(staff_client, shared)
        replay = beacons * 2
        random.Random(7).shuffle(replay)
        for body in replay:
            first.beacon(**body)
        fold_all(runtime, store)
        totals = lambda rows: [{k: v for k, v in r.items() if k != "last_event_at"} for r in rows]  # noqa: E731
        assert totals(views(staff_client, shared)) == totals(once)
        assert [row["engaged_seconds"] for row in once] == [16.0, 16.0]


def bad_bodies(token: str) -> list[tuple[str, bytes]]:
    good = {"t": token, "s": 1, "k": "hb", "v": 1000, "e": 1000, "d": 10, "x": {}}
    return [
        ("not json", b"{not json"),
        ("a list", b"[1, 2]"),
        ("negative time", json.dumps(good | {"v": -5}).encode()),
        ("scroll over 100", json.dumps(good | {"d": 140}).encode()),
        ("string number", json.dumps(good | {"s": "1"}).encode()),
        ("unknown field", json.dumps(good | {"admin": True}).encode()),
        ("bad section id", json.dumps(good | {"x": {"<script>": 5}}).encode()),
        ("unknown kind", json.dumps(good | {"k": "boom"}).encode()),
        ("missing token", json.dumps({k: v for k, v in good.items() if k != "t"}).encode()),
        ("too large", json.dumps(good | {"x": {f"s{i}": 1 for i in range(600)}}).encode()),
    ]


class TestRefusedBeacons:
    def test_bad_payloads_are_4xx_json_and_queue_nothing(
        self, store: EventStore, share: Any, viewer: Any
    ) -> None:
        phone = viewer()
        token, _ = phone.open(share().path)
        for name, body in bad_bodies(token):
            response = phone.http.post("/t", content=body, headers={"content-type": "text/plain"})
            assert 400 <= response.status_code < 500, name
            assert response.json()["error"] in {"invalid_beacon", "beacon_too_large"}, name
            assert response.json()["detail"], name
        assert store.backlog() == 0

    @pytest.mark.parametrize("tamper", ["forged", "edited", "share-token"])
    def test_forged_or_tampered_tokens_are_403_and_recorded_nowhere(
        self,
        runtime: Runtime,
        store: EventStore,
        share: Any,
        viewer: Any,
        tamper: str,
        staff_client: Any,
    ) -> None:
        shared = share()
        phone = viewer()
        token, _ = phone.open(shared.path)
        bad = {
            "forged": "WzEsMTcwMDAwMDAwMF0.forgedsignature0000",
            "edited": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
            "share-token": shared.path.removeprefix("/s/"),
        }[tamper]
        response = phone.beacon(bad, s=1, v=4000, e=4000)
        assert response.status_code == 403
        assert response.json()["error"] == "invalid_token"
        assert store.backlog() == 0
        fold_all(runtime, store)
        assert [row["visible_seconds"] for row in views(staff_client, shared)] == [0.0]

    def test_headless_and_crawler_user_agents_are_not_counted(
        self, store: EventStore, share: Any, viewer: Any, staff_client: Any
    ) -> None:
        shared = share()
        token, _ = viewer().open(shared.path)
        for agent in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/120.0.0.0 Safari/537.36",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "python-requests/2.32.0",
            "",
        ]:
            bot = viewer(agent)
            assert bot.open(shared.path) == (None, None)  # the page, without the tracker
            response = bot.beacon(token, s=9, v=9000, e=9000)
            assert response.status_code == 403
            assert response.json()["error"] == "bot"
        assert store.backlog() == 0
        assert len(views(staff_client, shared)) == 1  # only the phone's

    def test_over_rate_senders_get_429(self, store: EventStore, share: Any, viewer: Any) -> None:
        phone = viewer()
        token, _ = phone.open(share().path)
        codes = [phone.beacon(token, s=s, v=100 * s).status_code for s in range(1, 31)]
        assert codes[:20] == [204] * 20  # the burst
        assert 429 in codes[20:]
        assert store.backlog() == codes.count(204)


class TestClamping:
    def test_claimed_time_is_cut_to_server_elapsed_plus_margin(
        self,
        runtime: Runtime,
        store: EventStore,
        share: Any,
        viewer: Any,
        staff_client: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(runtime.settings, "tracking_clock_margin_seconds", 2.0)
        shared = share()
        phone = viewer()
        token, _ = phone.open(shared.path)
        hour = 3600 * 1000
        phone.beacon(token, s=1, v=hour, e=hour, x={"s1": hour, "s2": hour})
        fold_all(runtime, store)
        (row,) = views(staff_client, shared)
        # The view token carries whole seconds, so elapsed may read up to 1 s long.
        assert 2.0 <= row["visible_seconds"] <= 2.0 + 1.0 + 5.0
        assert row["engaged_seconds"] <= row["visible_seconds"]
        assert sum(row["sections"].values()) <= row["visible_seconds"] + 0.1  # API rounds to 0.1 s


class TestConsumer:
    def test_a_failed_fold_is_redelivered_and_counted_once(
        self,
        runtime: Runtime,
        store: EventStore,
        share: Any,
        viewer: Any,
        staff_client: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        shared = share()
        phone = viewer()
        token, _ = phone.open(shared.path)
        phone.beacon(token, s=1, v=5000, e=5000)
        phone.beacon(token, s=2, v=10000, e=8000)

        def crash(*_args: Any) -> int:
            raise RuntimeError("database went away mid-batch")

        monkeypatch.setattr(consumer, "apply", crash)
        with pytest.raises(RuntimeError):
            consumer.drain(runtime.sessions, store)
        assert views(staff_client, shared)[0]["visible_seconds"] == 0.0
        monkeypatch.undo()
        assert consumer.drain(runtime.sessions, store) == 2
        assert consumer.drain(runtime.sessions, store) == 0  # acknowledged: not again
        (row,) = views(staff_client, shared)
        assert (row["visible_seconds"], row["engaged_seconds"]) == (10.0, 8.0)
        assert store.backlog() == 0


class TestFoldingInTheDatabase:
    """The same property as tests/tracking/test_fold.py, through the consumer and the rows:
    beacons split over several batches (each its own commit), in any order, duplicated."""

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        order=st.randoms(use_true_random=False),
        repeats=st.integers(1, 3),
        batches=st.integers(1, 4),
    )
    def test_any_order_and_batching_gives_the_same_row(
        self,
        runtime: Runtime,
        share: Any,
        viewer: Any,
        order: random.Random,
        repeats: int,
        batches: int,
    ) -> None:
        shared = share()
        phone = viewer()
        phone.open(shared.path)
        (view,) = views_raw(runtime, shared.post_id)
        events = [
            {
                "pv": view,
                "s": s,
                "v": 5000 * s,
                "e": 4000 * s,
                "d": min(100, 15 * s),
                "x": {"copy": 1000 * s, f"s{s % 3}": 3000 * s},
                "at": 1000.0 + s,
            }
            for s in range(1, 7)
        ]
        replay = events * repeats
        order.shuffle(replay)
        size = -(-len(replay) // batches)
        for start in range(0, len(replay), size):
            with unit_of_work(runtime.sessions) as session:
                consumer.apply(session, replay[start : start + size])
        with runtime.sessions() as session:
            row = session.get(PageView, view)
            assert row is not None
            expected = fold(events)[view]
            assert (row.beacons, row.visible_ms, row.engaged_ms, row.max_scroll) == (
                expected.beacons,
                expected.visible_ms,
                expected.engaged_ms,
                expected.max_scroll,
            )
            assert row.sections == dict(expected.sections)


def views_raw(runtime: Runtime, post_id: int) -> list[int]:
    with runtime.sessions() as session:
        return list(session.scalars(select(PageView.id).where(PageView.post_id == post_id)))
