"""The models and the Alembic migrations describe the same schema, on both backends."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.migrate import alembic_config
from service.models import Base
from service.runtime import Runtime


def test_models_match_migrations(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_idempotent_even_when_concurrent(runtime: Runtime) -> None:
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            runtime.migrate()
        except BaseException as exc:  # report whatever went wrong in the thread
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with runtime.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == ScriptDirectory.from_config(alembic_config(runtime.engine)).get_current_head()
