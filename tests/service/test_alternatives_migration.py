"""Migration 0009 on a database of its own, on both backends: existing posts get version 1
(their text as written), the voice defaults apply to existing organisations, and it
downgrades cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from service.db import make_engine
from tests.service.conftest import DATABASES, empty_database_url, migration_steps


@pytest.fixture(params=DATABASES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from empty_database_url(request.param, tmp_path)


def test_existing_posts_get_version_one_and_it_downgrades(empty_database: str) -> None:
    engine = make_engine(empty_database)
    run = migration_steps(engine)

    run("upgrade", "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisations (id, slug, name, created_at) "
                "VALUES (1, 'old', 'old', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO posts (id, org_id, title, text, protected, seed_salt, created_at) "
                "VALUES (7, 1, 't', '{限时|限量}特惠！', '[]', 'abc', CURRENT_TIMESTAMP)"
            )
        )
    run("upgrade", "0009")
    with engine.connect() as connection:
        assert connection.execute(
            text("SELECT post_id, version FROM post_text_versions")
        ).all() == [(7, 1)]
        assert connection.execute(text("SELECT text_version FROM posts")).scalar_one() == 1
        voice = connection.execute(
            text("SELECT voice_frame_lines, voice_particles FROM organisations")
        ).one()
        assert tuple(voice) == ("closer", "light")
    run("downgrade", "0008")
    tables = set(inspect(engine).get_table_names())
    assert not {"post_text_versions", "rewrite_providers"} & tables
    engine.dispose()
