"""Fixtures for the dashboard: the service fixtures (SQLite and PostgreSQL) and a seeded
campaign per test organisation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.runtime import Runtime
from tests.dashboard.seed import Scenario, seed
from tests.service import conftest as service_fixtures
from tests.service.conftest import Org, migrated_runtime

add_reps = service_fixtures.add_reps
cheap_password_hashing = service_fixtures.cheap_password_hashing
database_url = service_fixtures.database_url
make_org = service_fixtures.make_org
org = service_fixtures.org


@pytest.fixture(scope="session")
def runtime(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data_dir = tmp_path_factory.mktemp("dashboard")
    with migrated_runtime(database_url, data_dir, secret_key="dashboard-test-key") as built:
        yield built


@pytest.fixture(scope="session")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


@pytest.fixture
def campaign(runtime: Runtime, org: Org) -> Scenario:
    return seed(runtime, org.id)


@pytest.fixture
def other_org(make_org: Any) -> Org:
    return make_org()
