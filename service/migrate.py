"""Run Alembic programmatically (no alembic.ini): the app and the CLI call `upgrade`."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_KEY = 0x6D6F6D63  # "momc"
_in_process = threading.Lock()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at `engine` to `revision`; safe to call on every start, also from
    several threads (Alembic's context is global) or processes at once (PostgreSQL: an advisory
    lock lets one migrate at a time)."""
    config = alembic_config(engine)
    with _in_process, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
