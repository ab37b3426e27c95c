"""The embedded event journal: durable across a crash, acknowledged events expire."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service.settings import Settings
from service.tracking import privacy
from service.tracking.events import Journal, RedisStream, open_store

EVENT = {"pv": 1, "s": 1, "v": 1000, "e": 1000, "d": 10, "x": {}, "at": 1.0}


class TestJournal:
    def test_survives_the_process_that_wrote_it(self, tmp_path: Path) -> None:
        writer = Journal(tmp_path / "events.db")
        writer.append_now(EVENT)
        writer.append_now(EVENT | {"s": 2})
        del writer  # no close: the process died
        reader = Journal(tmp_path / "events.db")
        assert [d.event["s"] for d in reader.read(count=10)] == [1, 2]
        reader.close()

    def test_unacknowledged_events_are_delivered_again(self, tmp_path: Path) -> None:
        journal = Journal(tmp_path / "events.db")
        journal.append_now(EVENT)
        first = journal.read(count=10)
        assert journal.read(count=10) == first  # a consumer that died before acking
        journal.ack([d.id for d in first])
        assert journal.read(count=10) == [] and journal.backlog() == 0
        journal.close()

    def test_retention_deletes_only_old_folded_events(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path, tracking_event_retention_days=90, env="test")
        journal = Journal(settings.events_journal)
        journal.append_now(EVENT)
        journal.append_now(EVENT | {"s": 2})
        (folded, _) = journal.read(count=10)
        journal.ack([folded.id])
        now = time.time()
        assert privacy.purge_events(journal, settings, now=now + 89 * 86400) == 0
        assert privacy.purge_events(journal, settings, now=now + 91 * 86400) == 1
        assert [d.event["s"] for d in journal.read(count=10)] == [2]  # unfolded: kept
        journal.close()


class TestChoice:
    def test_settings_choose_the_store(self, tmp_path: Path) -> None:
        embedded = open_store(Settings(data_dir=tmp_path, env="test"))
        assert isinstance(embedded, Journal)
        embedded.close()
        stream = open_store(
            Settings(
                data_dir=tmp_path,
                env="test",
                events_url="redis://127.0.0.1:6379/0",
                events_stream="momentcast:test:choice",
            )
        )
        assert isinstance(stream, RedisStream) and stream.stream == "momentcast:test:choice"
        stream.close()

    def test_an_unknown_kind_of_url_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="MOMENTCAST_EVENTS_URL"):
            open_store(Settings(data_dir=tmp_path, env="test", events_url="kafka://x"))

    @pytest.mark.parametrize("url", ["", "redis://127.0.0.1:6379/0"])
    def test_the_journal_path_lives_under_the_data_dir(self, tmp_path: Path, url: str) -> None:
        assert Settings(data_dir=tmp_path, env="test", events_url=url).events_journal == (
            tmp_path / "events.db"
        )
