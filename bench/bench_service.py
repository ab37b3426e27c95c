"""Service benchmark (issue 4): a rep's first open of a 9-image post, and a repeat open.

    .venv/bin/python -m bench.bench_service [--reps 12] [--repeats 200]

First open = the request that finds no copy and generates it (text + 9 images, each cleared
against every copy already issued for the post), stores it and renders the page. Repeat open =
the same page once the copy exists. Runs on SQLite, and on the local PostgreSQL when it
answers. Times are measured around in-process ASGI requests
(FastAPI's TestClient), so they are server time plus a little client overhead, no network.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bench._report import write_section
from service import engines
from service.app import create_app
from service.db import unit_of_work
from service.models import Role
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEXT_FILE = ROOT / "samples" / "posts" / "01-beauty-serum.txt"


def nine_images() -> list[posts_service.Upload]:
    """The sample images (cycled to nine), or generated 1080×1440 photos-like JPEGs."""
    found = sorted(
        p
        for p in (ROOT / "samples" / "images").glob("*")
        if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}
    )
    if found:
        return [
            posts_service.Upload(found[i % len(found)].name, found[i % len(found)].read_bytes())
            for i in range(9)
        ]
    uploads = []
    for i in range(9):
        image = Image.linear_gradient("L").resize((1080, 1440)).convert("RGB")
        draw = ImageDraw.Draw(image)
        for j in range(12):
            draw.ellipse(
                (j * 80 + i * 9, j * 100, j * 80 + 300, j * 100 + 260),
                fill=((j * 40 + i * 25) % 256, (j * 70) % 256, (200 - j * 15) % 256),
            )
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        uploads.append(posts_service.Upload(f"{i}.jpg", buffer.getvalue()))
    return uploads


def setup(runtime: Runtime, reps: int) -> tuple[int, list[str]]:
    text = TEXT_FILE.read_text(encoding="utf-8") if TEXT_FILE.exists() else "水光精华 ¥199"
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="bench")
        staff = orgs_service.create_staff(
            session,
            org_id=org.id,
            email="bench@bench.test",
            password="bench-password",
            role=Role.EDITOR,
        )
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=org.id,
            author_id=staff.id,
            data=PostCreate(title="bench", text=text, protected=["澜蔻", "水光精华"]),
            uploads=nine_images(),
        )
        plans_service.publish(session, runtime.settings, post)
        created = [
            reps_service.create(
                session, org_id=org.id, data=RepCreate(name=f"rep{i}", team=f"t{i % 2}")
            )
            for i in range(reps)
        ]
        paths = [
            reps_service.personal_url(runtime, rep).removeprefix(runtime.settings.base_url)
            for rep in created
        ]
    return post.id, paths


def timed(client: TestClient, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path, headers={"accept": "text/html"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text[:200]
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def measure(database_url: str, *, reps: int, repeats: int) -> tuple[str, str]:
    """(backend name, markdown table) for one database; PostgreSQL runs in a scratch schema."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            env="test", data_dir=Path(data_dir), secret_key="bench", database_url=database_url
        )
        runtime = Runtime.build(settings)
        runtime.migrate()
        post_id, paths = setup(runtime, reps)
        with TestClient(create_app(runtime=runtime)) as client:
            timed(client, "/healthz")
            first = [timed(client, path) for path in paths]
            repeat = [timed(client, paths[i % len(paths)]) for i in range(repeats)]
            repeat_json = [
                timed(client, f"{paths[i % len(paths)]}/posts/{post_id}.json")
                for i in range(repeats)
            ]
        runtime.engine.dispose()
    return runtime.engine.dialect.name, table(first, repeat, repeat_json, reps=reps)


def engine_floor(samples: int = 3) -> str:
    """The engines alone for one rep with nothing issued yet: what a first open cannot beat."""
    masters = [engines.normalise_master(upload.data) for upload in nine_images()]
    requests = [
        engines.ImageRequest(
            load_master=lambda m=m: m.data,  # type: ignore[misc]
            master_key=f"floor-{i}",
            seed_prefix=f"floor:{i}",
            issued=(),
        )
        for i, m in enumerate(masters)
    ]
    engines.image_copies(requests[:1], rep_key="warm", team="t")
    pooled, serial = [], []
    for n in range(samples):
        start = time.perf_counter()
        engines.image_copies(requests, rep_key=f"p{n}", team="t")
        pooled.append(time.perf_counter() - start)
        start = time.perf_counter()
        for request in requests:
            engines.image_copies([request], rep_key=f"s{n}", team="t")
        serial.append(time.perf_counter() - start)
    return (
        f"Floor measured in the same run (engines only, first rep, nothing issued): nine "
        f"images {statistics.median(serial) * 1000:.0f} ms one after another, "
        f"{statistics.median(pooled) * 1000:.0f} ms on the service's thread pool."
    )


def postgres_schema() -> str | None:
    """A fresh schema on the local PostgreSQL, or None when it is not running."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS bench_service CASCADE"))
            connection.execute(text("CREATE SCHEMA bench_service"))
        engine.dispose()
    except OperationalError:
        return None
    return f"{PG_URL}?options=-csearch_path%3Dbench_service"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    urls = [""] + [url for url in [postgres_schema()] if url]
    sections = [measure(url, reps=args.reps, repeats=args.repeats) for url in urls]
    if len(urls) > 1:
        engine = create_engine(PG_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA bench_service CASCADE"))
        engine.dispose()
    body = (
        "\n\n".join(f"**{name}**\n\n{table}" for name, table in sections)
        + f"\n\n{engine_floor()}"
        + (
            f"\n\n{args.reps} reps in two teams open one published 9-image post (the sample "
            "images, 1080×1440 at most) in turn; each first open varies the text and the nine "
            "images (on a thread pool) against every copy already issued for the post, so later "
            "reps need more re-draws. Measured around in-process ASGI requests while other "
            "work shared the 2 cores."
        )
    )
    print(body)
    write_section("bench_service", "Service: a rep's first and repeat open", body)


def table(first: list[float], repeat: list[float], repeat_json: list[float], *, reps: int) -> str:
    ms = 1000.0
    rows = [
        ("first open (page, generates text + 9 images)", first, 1.5),
        ("repeat open (page)", repeat, 0.030),
        ("repeat open (JSON copy)", repeat_json, 0.030),
    ]
    lines = ["| request | n | p50 | p95 | max | target p50 |", "|---|---|---|---|---|---|"]
    for name, values, target in rows:
        lines.append(
            f"| {name} | {len(values)} | {statistics.median(values) * ms:.0f} ms | "
            f"{pct(values, 0.95) * ms:.0f} ms | {max(values) * ms:.0f} ms | "
            f"≤ {target * ms:.0f} ms |"
        )
    quarter = max(1, reps // 4)
    lines.append(
        f"\nFirst-open p50 of the first {quarter} reps "
        f"{statistics.median(first[:quarter]) * ms:.0f} ms, of the last {quarter} "
        f"{statistics.median(first[-quarter:]) * ms:.0f} ms."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
