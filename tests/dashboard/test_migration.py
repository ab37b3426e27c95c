"""Migration 0005 creates exactly the roll-up tables the models describe, on both backends,
and downgrades cleanly (the project-wide check runs on the session's database; this one
also goes down and up again, on a database of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from service.db import make_engine
from service.models import Base
from tests.service.conftest import DATABASES, empty_database_url, migration_steps

ROLLUPS = {"dash_post_viewers", "dash_post_reps", "dash_post_reads", "dash_post_sections"}


@pytest.fixture(params=DATABASES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from empty_database_url(request.param, tmp_path)


def test_upgrade_matches_the_models_and_downgrades(empty_database: str) -> None:
    engine = make_engine(empty_database)
    run = migration_steps(engine)

    run("upgrade", "head")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    run("downgrade", "0004")
    assert not ROLLUPS & set(inspect(engine).get_table_names())
    run("upgrade", "head")
    assert ROLLUPS | {"dash_post_rollups"} <= set(inspect(engine).get_table_names())
    engine.dispose()
