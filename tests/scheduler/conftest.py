"""Fixtures for the scheduler: the service fixtures (SQLite and PostgreSQL) for the API and
service-level tests; test_worker.py starts real Celery workers of its own."""

from __future__ import annotations

from tests.service import conftest as service_fixtures

add_reps = service_fixtures.add_reps
cheap_password_hashing = service_fixtures.cheap_password_hashing
client = service_fixtures.client
database_url = service_fixtures.database_url
make_org = service_fixtures.make_org
org = service_fixtures.org
runtime = service_fixtures.runtime
