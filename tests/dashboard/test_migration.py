"""Migration 0005 creates exactly the roll-up tables the models describe, on both backends,
and downgrades cleanly (the project-wide check runs on the session's database; this one
also goes down and up again, on a database of its own)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from service.db import make_engine
from service.migrate import alembic_config
from service.models import Base
from tests.service.conftest import DATABASES, postgres_schema_url

ROLLUPS = {"dash_post_viewers", "dash_post_reps", "dash_post_reads", "dash_post_sections"}


@pytest.fixture(params=DATABASES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
    else:
        yield from postgres_schema_url(f"mc_mig_{uuid.uuid4().hex[:12]}")


def test_upgrade_matches_the_models_and_downgrades(empty_database: str) -> None:
    engine = make_engine(empty_database)
    config = alembic_config(engine)

    def run(step: str, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)

    run("upgrade", "head")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    run("downgrade", "0004")
    assert not ROLLUPS & set(inspect(engine).get_table_names())
    run("upgrade", "head")
    assert ROLLUPS | {"dash_post_rollups"} <= set(inspect(engine).get_table_names())
    engine.dispose()
