"""Fixtures for the dashboard: the service fixtures (SQLite and PostgreSQL), an app with the
dashboard's routers included, and a seeded campaign per test organisation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.app import create_app
from service.dashboard.pages import router as dashboard_pages
from service.dashboard.router import router as dashboard_router
from service.runtime import Runtime
from service.settings import Settings
from tests.dashboard.seed import Scenario, seed
from tests.service import conftest as service_fixtures
from tests.service.conftest import Org

add_reps = service_fixtures.add_reps
cheap_password_hashing = service_fixtures.cheap_password_hashing
database_url = service_fixtures.database_url
make_org = service_fixtures.make_org
org = service_fixtures.org


def dashboard_app(runtime: Runtime) -> FastAPI:
    """The production app plus the dashboard (until app.py registers its routers)."""
    app = create_app(runtime=runtime)
    if not any(getattr(r, "path", "") == "/api/dashboard/campaign" for r in app.routes):
        app.include_router(dashboard_router)
        app.include_router(dashboard_pages)
    return app


@pytest.fixture(scope="session")
def runtime(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    settings = Settings(
        env="test",
        data_dir=tmp_path_factory.mktemp("dashboard"),
        database_url=database_url,
        secret_key="dashboard-test-key",
        base_url="http://testserver",
    )
    built = Runtime.build(settings)
    built.migrate()
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(dashboard_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def campaign(runtime: Runtime, org: Org) -> Scenario:
    return seed(runtime, org.id)


@pytest.fixture
def other_org(make_org: Any) -> Org:
    return make_org()
