"""What every command shares: Settings from the environment, one-line errors, units of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service import logs
from service.db import unit_of_work
from service.errors import AppError
from service.runtime import Runtime
from service.settings import Settings

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the database and images live (default: $MOMENTCAST_DATA_DIR or ./data).",
)


def load_settings(**overrides: Any) -> Settings:
    """Settings from MOMENTCAST_* variables, with the command's options on top."""
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()
        )
        raise click.ClickException(f"bad settings: {problems}") from None
    logs.configure(json_lines=settings.log_json_lines, level=settings.log_level)
    return settings


def open_runtime(settings: Settings) -> Runtime:
    try:
        runtime = Runtime.build(settings)
        runtime.migrate()
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"cannot open the database {settings.database_url}: {exc.__class__.__name__}: "
            f"{str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}"
        ) from None
    return runtime


@contextmanager
def command_unit(runtime: Runtime) -> Iterator[Session]:
    """One unit of work; an expected failure becomes a one-line message and exit code 1."""
    try:
        with unit_of_work(runtime.sessions) as session:
            yield session
    except AppError as exc:
        raise click.ClickException(exc.detail) from None
