"""Fixtures for the service tests: every API test runs on SQLite and on PostgreSQL.

PostgreSQL is the one `.ci/run` starts (127.0.0.1:5432, database `test`, user `postgres`);
each test session works in a fresh schema that is dropped at the end. When it is not
reachable the PostgreSQL half is skipped, unless CI=true, where that is a failure.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import Engine, create_engine, text

from service import security
from service.app import create_app
from service.auth import service as auth_service
from service.db import unit_of_work
from service.migrate import alembic_config
from service.models import Role
from service.orgs import service as orgs_service
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.settings import Settings

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct horse battery"
# Which databases the API tests run on: both by default and in CI; `dev.py test --fast` sets
# "sqlite" for the edit-test loop.
DATABASES = os.environ.get("MOMENTCAST_TEST_DATABASES", "sqlite,postgresql").split(",")
_counter = itertools.count(1)


def postgres_schema_url(tmp_name: str) -> Iterator[str]:
    try:
        admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{tmp_name}"'))
    except Exception as exc:  # any failure to connect means "not available here"
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI: {exc}")
        pytest.skip(
            f"PostgreSQL at {PG_URL} is not reachable ({type(exc).__name__}); "
            "run .ci/run or start it to test the PostgreSQL backend"
        )
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{tmp_name}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{tmp_name}" CASCADE'))
        admin.dispose()


def empty_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it ("sqlite" or "postgresql"), for a migration test."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
    else:
        yield from postgres_schema_url(f"mc_mig_{uuid.uuid4().hex[:12]}")


def migration_steps(engine: Engine) -> Callable[[str, str], None]:
    """`run("upgrade" | "downgrade", revision)` on `engine`, one transaction each."""
    config = alembic_config(engine)

    def run(step: str, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)

    return run


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2's production cost makes every test org take ~0.2 s; the tests are about flows."""
    original = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = original


@pytest.fixture(scope="session", params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        yield from postgres_schema_url(f"mc_test_{uuid.uuid4().hex[:12]}")


@contextmanager
def migrated_runtime(database_url: str, data_dir: Path, **settings: Any) -> Iterator[Runtime]:
    """A Runtime on `database_url`, migrated, disposed of afterwards; `settings` override the
    test defaults (each suite uses its own secret key, some a setting of their own)."""
    defaults: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": "test-secret-key",
        "base_url": "http://testserver",
        # Every test phone is "testclient": one address. The limits have their own test
        # (tests/robustness/test_probe_auth.py) with an app of its own.
        "tracking_open_burst": 1_000_000,
        "tracking_open_hard_burst": 1_000_000,
    }
    built = Runtime.build(Settings(**(defaults | settings)))
    built.migrate()
    try:
        yield built
    finally:
        built.engine.dispose()


@pytest.fixture(scope="session")
def runtime(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with migrated_runtime(database_url, tmp_path_factory.mktemp("data")) as built:
        yield built


@pytest.fixture(scope="session")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


@dataclass
class Org:
    """A fresh organisation with an admin, an editor and a manager (bearer headers ready)."""

    id: int
    slug: str
    admin: dict[str, str]
    editor: dict[str, str]
    manager: dict[str, str]
    admin_email: str


def form_login(client: TestClient, email: str, password: str = PASSWORD, **fields: str) -> Any:
    """Log in through the HTML form as a browser does: fetch the form (which sets the
    pre-login cookie), then post it with the form's CSRF token. Returns the POST's response."""
    form = client.get("/admin/login", headers={"accept": "text/html"}).text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', form)
    assert match is not None, "the login form has no CSRF token"
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf": match.group(1), **fields},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )


@pytest.fixture
def make_org(runtime: Runtime) -> Any:
    def build() -> Org:
        slug = f"org-{next(_counter)}-{uuid.uuid4().hex[:6]}"
        headers = {}
        with unit_of_work(runtime.sessions) as session:
            org = orgs_service.ensure_org(session, slug=slug)
            for role in Role:
                staff = orgs_service.create_staff(
                    session,
                    org_id=org.id,
                    email=f"{role}@{slug}.test",
                    password=PASSWORD,
                    role=role,
                )
                token = auth_service.start(session, runtime.signer, staff)
                headers[role.value] = {"Authorization": f"Bearer {token}"}
        return Org(
            id=org.id,
            slug=slug,
            admin=headers["admin"],
            editor=headers["editor"],
            manager=headers["manager"],
            admin_email=f"admin@{slug}.test",
        )

    return build


@pytest.fixture
def org(make_org: Any) -> Org:
    return make_org()


@pytest.fixture
def add_reps(runtime: Runtime) -> Any:
    """add_reps(org, ["张三", ...], team="一组") -> list of (rep id, personal url path)."""

    def build(org: Org, names: list[str], *, team: str = "一组") -> list[tuple[int, str]]:
        with unit_of_work(runtime.sessions) as session:
            reps = [
                reps_service.create(session, org_id=org.id, data=RepCreate(name=name, team=team))
                for name in names
            ]
            return [
                (
                    rep.id,
                    reps_service.personal_url(runtime, rep).removeprefix(runtime.settings.base_url),
                )
                for rep in reps
            ]

    return build


def jpeg_bytes(
    *, size: tuple[int, int] = (360, 270), seed: int = 0, fmt: str = "JPEG", exif_gps: bool = False
) -> bytes:
    """A small photo-like test image: gradient, shapes and some texture."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(6):
        x, y = (seed * 37 + i * 53) % width, (seed * 29 + i * 41) % height
        draw.ellipse(
            (x, y, x + width // 4, y + height // 4),
            fill=((i * 70 + seed * 20) % 256, (i * 40) % 256, (200 - i * 30) % 256),
        )
    buffer = io.BytesIO()
    exif = Image.Exif()
    if exif_gps:
        exif[0x010F] = "SecretCam"  # Make
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    image.save(buffer, fmt, exif=exif.tobytes() if exif_gps else b"")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def sample_texts() -> list[str]:
    root = Path(__file__).resolve().parents[2] / "samples" / "posts"
    texts = [path.read_text(encoding="utf-8") for path in sorted(root.glob("*.txt"))]
    return texts or [
        "【春季上新】轻薄防晒衣到店啦！原价¥299，今天到店只要¥199，"
        "买两件再减20元。咨询电话 138-1234-5678，地址：朝阳区建国路88号。"
        "活动截止 4月30日，欢迎来店试穿～ #春季上新#"
    ]
