"""Fixtures for the robustness suite: the service fixtures (SQLite and PostgreSQL), one app per
session, the tracking fixtures for beacons, and a census of what is stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, Select, func, select

from service.app import create_app
from service.db import unit_of_work
from service.models import Copy, Plan, Post, PostImage, Rep
from service.runtime import Runtime
from tests.service import conftest as service_fixtures
from tests.service.conftest import migrated_runtime
from tests.tracking import conftest as tracking_fixtures

add_reps = service_fixtures.add_reps
cheap_password_hashing = service_fixtures.cheap_password_hashing
database_url = service_fixtures.database_url
make_org = service_fixtures.make_org
org = service_fixtures.org
journal = tracking_fixtures.journal
share = tracking_fixtures.share
viewer = tracking_fixtures.viewer


@pytest.fixture(scope="session")
def runtime(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data_dir = tmp_path_factory.mktemp("robustness")
    with migrated_runtime(database_url, data_dir, secret_key="robustness-test-key") as built:
        yield built


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Iterator[FastAPI]:
    built = create_app(runtime=runtime)
    with TestClient(built):  # runs the lifespan once
        yield built


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    # A 500 must come back as a response here, so the tests can assert it never happens.
    return TestClient(app, raise_server_exceptions=False)


@dataclass(frozen=True)
class Census:
    """What one organisation has stored: rows of each kind and media files on disk."""

    posts: int
    images: int
    reps: int
    plans: int
    copies: int
    files: int


def census(runtime: Runtime, org_id: int) -> Census:
    def count(model: type, *where: ColumnElement[bool]) -> int:
        query: Select[int] = select(func.count()).select_from(model).where(*where)
        return int(session.scalar(query) or 0)

    with unit_of_work(runtime.sessions) as session:
        posts = select(Post.id).where(Post.org_id == org_id)
        found = Census(
            posts=count(Post, Post.org_id == org_id),
            images=count(PostImage, PostImage.post_id.in_(posts)),
            reps=count(Rep, Rep.org_id == org_id),
            plans=count(Plan, Plan.post_id.in_(posts)),
            copies=count(Copy, Copy.post_id.in_(posts)),
            files=0,
        )
    media = runtime.settings.media_dir
    files = sum(1 for path in media.rglob("*") if path.is_file()) if media.exists() else 0
    return Census(**{**found.__dict__, "files": files})
