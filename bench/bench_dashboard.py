"""Dashboard benchmark (issue 7): the post detail and viewers pages with 1,000 reps,
100,000 viewers and 1,000,000 page views in PostgreSQL.

    .venv/bin/python -m bench.bench_dashboard [--views 1000000] [--viewers 100000] [--keep]

The data is generated inside PostgreSQL (INSERT ... SELECT over generate_series, seeded, so
every run builds the same rows) in a database of its own, `momentcast_bench`, dropped at the
end unless --keep. Posts get a skewed share of the views (the biggest ~9 %, the median ~2 %),
so the post page is measured on the biggest post and on a median-sized one. Times are taken
around in-process ASGI requests (FastAPI's TestClient, bearer token), server time plus a
little client overhead; the baseline is the staff post list, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from bench._report import write_section
from service.app import create_app
from service.auth import service as auth_service
from service.dashboard import rollup
from service.dashboard.pages import router as dashboard_pages
from service.dashboard.router import router as dashboard_router
from service.db import unit_of_work
from service.models import Role, Staff
from service.orgs import service as orgs_service
from service.runtime import Runtime
from service.settings import Settings

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "momentcast_bench"
POSTS = 40
TARGET_MS = 300.0


def recreate_database() -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB}"))
        connection.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def drop_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
    admin.dispose()


GENERATE = [
    # Reps: 20 teams of 50; 3 % inactive.
    """INSERT INTO reps (org_id, name, team, phone, email, active, link_nonce, created_at)
       SELECT :org, '销售' || g, '门店' || (g % 20), '', '', g % 33 <> 0, 'n', now()
       FROM generate_series(0, :reps - 1) g""",
    # Posts, one a day back from today.
    """INSERT INTO posts (org_id, title, text, article, protected, seed_salt, published_at,
                          created_at)
       SELECT :org, '素材 ' || g, '正文 #育儿#', '## 一\n\n甲\n\n## 二\n\n乙\n\n## 三\n\n丙',
              '[]', 's', now() - make_interval(days => g), now() - make_interval(days => g)
       FROM generate_series(0, :posts - 1) g""",
    # Copies: ~80 % of reps opened each post, ~60 % pressed 我已发布.
    """INSERT INTO copies (org_id, post_id, rep_id, text, text_params, created_at, posted_at)
       SELECT :org, p.id, r.id, 'copy', '{}', p.published_at,
              CASE WHEN random() < 0.75 THEN p.published_at + interval '3 hours' END
       FROM posts p CROSS JOIN reps r
       WHERE p.org_id = :org AND r.org_id = :org AND random() < 0.8""",
    # Viewers: each was brought by one rep (viewer number modulo the reps); 5 % are named.
    """INSERT INTO viewers (org_id, cookie_id, first_rep_id, label, views, engaged_ms,
                            created_at)
       SELECT :org, 'c' || g, (SELECT min(id) FROM reps) + g % :reps,
              CASE WHEN g % 20 = 0 THEN '客户' || g ELSE '' END, 0, 0, now()
       FROM generate_series(0, :viewers - 1) g""",
]
# Page views: a skewed post (power 1.5: the newest ~9 %), mostly the viewer's own rep, 15 %
# forwarded by another viewer, read time exponential (mean 45 s), 10 % without a tracker
# total (the visible time counts), sections splitting the read time over the page. Inserted
# in time order, as they arrive (a post's views over its first three days).
VIEWS = """
WITH ids AS (SELECT (SELECT min(id) FROM posts) AS p0, (SELECT min(id) FROM reps) AS r0,
                    (SELECT min(id) FROM viewers) AS v0),
raw AS (
  SELECT g, floor(:posts * power(random(), 1.5))::int AS p, floor(random() * :viewers)::int AS v,
         random() AS fwd, floor(-ln(1 - random()) * 45000)::int AS ms, random() AS tracker,
         floor(random() * 101)::int AS scroll, random() AS when_
  FROM generate_series(1, :views) g)
INSERT INTO page_views (org_id, post_id, rep_id, viewer_id, parent_viewer_id, channel, ip_hash,
                        opened_at, last_event_at, beacons, visible_ms, engaged_ms, max_scroll,
                        sections)
SELECT :org, ids.p0 + raw.p, ids.r0 + raw.v % :reps, ids.v0 + raw.v,
       CASE WHEN raw.fwd < 0.15 THEN ids.v0 + (raw.v + 1 + floor(raw.fwd * 1000)::int)
            % :viewers END,
       'timeline', '', now() - make_interval(days => raw.p) + raw.when_ * interval '3 days',
       now() - make_interval(days => raw.p) + raw.when_ * interval '3 days' + interval '1 min',
       3, raw.ms, CASE WHEN raw.tracker < 0.9 THEN raw.ms END, raw.scroll,
       json_build_object('copy', raw.ms / 5, 's1', raw.ms / 5, 's2', raw.ms * 2 / 5,
                         's3', raw.ms / 5)
FROM raw, ids
ORDER BY 8
"""
ROLLUPS = [
    # What the consumer's fold keeps on each viewer, and what the tag job would derive.
    """UPDATE viewers SET views = a.n, engaged_ms = a.ms, last_seen_at = a.seen
       FROM (SELECT viewer_id, count(*) n, sum(coalesce(engaged_ms, 0)) ms,
                    max(last_event_at) seen FROM page_views GROUP BY viewer_id) a
       WHERE viewers.id = a.viewer_id""",
    """INSERT INTO viewer_tags (org_id, viewer_id, tag, kind, evidence, computed_at)
       SELECT org_id, id, CASE WHEN engaged_ms >= 300000 THEN '深读' ELSE '细读' END, 'tier',
              '读了《素材》' || engaged_ms / 1000 || '秒', now()
       FROM viewers WHERE engaged_ms >= 60000""",
    """INSERT INTO viewer_tags (org_id, viewer_id, tag, kind, evidence, computed_at)
       SELECT org_id, id, CASE WHEN id % 2 = 0 THEN '育儿' ELSE '护肤' END, 'topic',
              '阅读相关内容', now()
       FROM viewers WHERE id % 3 = 0""",
    "ANALYZE",
]


def generate(engine: Engine, org_id: int, *, reps: int, viewers: int, views: int) -> float:
    started = time.perf_counter()
    params = {"org": org_id, "reps": reps, "viewers": viewers, "views": views, "posts": POSTS}
    with engine.begin() as connection:
        connection.execute(text("SELECT setseed(0.42)"))
        for statement in [*GENERATE, VIEWS, *ROLLUPS[:-1]]:
            names = {k: v for k, v in params.items() if f":{k}" in statement}
            connection.execute(text(statement), names)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(ROLLUPS[-1]))
    return time.perf_counter() - started


def build_rollups(runtime: Runtime) -> str:
    """What the periodic job does after the data arrived: find the changed posts, rebuild."""
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE page_views"))  # what autovacuum does after a bulk load
    started = time.perf_counter()
    with runtime.sessions() as session:
        stale = rollup.stale_posts(session)
    scan = time.perf_counter() - started
    started = time.perf_counter()
    rebuilt = rollup.refresh_active(runtime.sessions)
    total = time.perf_counter() - started
    biggest = scalar(
        runtime.engine,
        "SELECT post_id FROM page_views GROUP BY post_id ORDER BY count(*) DESC LIMIT 1",
    )
    org_id = scalar(runtime.engine, "SELECT org_id FROM posts LIMIT 1")
    started = time.perf_counter()
    with unit_of_work(runtime.sessions) as session:
        rollup.refresh_post(session, org_id=org_id, post_id=biggest)
    one = time.perf_counter() - started
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))  # autovacuum's job after the first rebuild
    return (
        f"Roll-ups: finding the {len(stale)} changed posts (one scan of the page views) took "
        f"{scan:.1f} s; rebuilding all {rebuilt} took {total:.1f} s; rebuilding the biggest "
        f"post alone {one:.1f} s."
    )


def app_for(runtime: Runtime) -> FastAPI:
    app = create_app(runtime=runtime)
    if not any(getattr(r, "path", "") == "/api/dashboard/campaign" for r in app.routes):
        app.include_router(dashboard_router)
        app.include_router(dashboard_pages)
    return app


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    for _ in range(2):
        call()  # warm caches and the connection pool
    found = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--viewers", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure the kept database")
    args = parser.parse_args()
    url = recreate_database() if not args.reuse else ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    try:
        body = run(url, args)
    finally:
        if not args.keep:
            drop_database()
    print(body)
    write_section("bench_dashboard", "Dashboard: post detail and viewers pages (issue 7)", body)


def run(url: str, args: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test", data_dir=Path(tmp), database_url=url, secret_key="bench-dashboard"
        )
        runtime = Runtime.build(settings)
        runtime.migrate()
        with unit_of_work(runtime.sessions) as session:
            org = orgs_service.ensure_org(session, slug="bench", name="Bench")
            staff = (
                orgs_service.create_staff(
                    session,
                    org_id=org.id,
                    email="m@bench.test",
                    password="x" * 12,
                    role=Role.MANAGER,
                )
                if not args.reuse
                else None
            )
        seconds = 0.0
        if not args.reuse:
            seconds = generate(
                runtime.engine, org.id, reps=args.reps, viewers=args.viewers, views=args.views
            )
        engine = runtime.engine
        rollups = build_rollups(runtime)
        staff_id = staff.id if staff else scalar(engine, "SELECT min(id) FROM staff")
        with unit_of_work(runtime.sessions) as session:
            member = session.get(Staff, staff_id)
            assert member is not None
            token = auth_service.start(session, runtime.signer, member)
        counts = {
            name: scalar(engine, f"SELECT count(*) FROM {name}")
            for name in ("reps", "viewers", "page_views", "copies", "viewer_tags")
        }
        per_post = (
            engine.connect()
            .execute(
                text("SELECT post_id, count(*) n FROM page_views GROUP BY post_id ORDER BY n DESC")
            )
            .all()
        )
        biggest, middle = per_post[0], per_post[len(per_post) // 2]
        some_viewer = scalar(engine, "SELECT id FROM viewers ORDER BY last_seen_at DESC LIMIT 1")
        client = TestClient(app_for(runtime), headers={"Authorization": f"Bearer {token}"})
        get = lambda url: lambda: check(client.get(url))  # noqa: E731
        cases = [
            ("baseline: staff post list `/admin`", "/admin", None),
            (
                f"post detail page, biggest post ({biggest.n:,} views)",
                f"/admin/dashboard/posts/{biggest.post_id}",
                TARGET_MS,
            ),
            (
                f"post detail page, median post ({middle.n:,} views)",
                f"/admin/dashboard/posts/{middle.post_id}",
                TARGET_MS,
            ),
            ("post detail JSON, biggest post", f"/api/dashboard/posts/{biggest.post_id}", None),
            ("viewers page (newest 50 of all)", "/admin/dashboard/viewers", TARGET_MS),
            (
                "viewers page, tags 深读 + 育儿, last 7 days",
                "/admin/dashboard/viewers?tag=深读&tag=育儿&days=7",
                TARGET_MS,
            ),
            ("viewers page, search a label", "/admin/dashboard/viewers?q=客户1234", TARGET_MS),
            ("viewer detail page", f"/admin/dashboard/viewers/{some_viewer}", None),
            ("campaign overview (40 posts)", "/admin/dashboard", None),
            ("leaderboard", "/admin/dashboard/leaderboard", None),
        ]
        lines = ["| request | n | p50 | p95 | max | target p95 |", "|---|---|---|---|---|---|"]
        for name, path, target in cases:
            found = timed(get(path), args.repeats)
            lines.append(
                f"| {name} | {len(found)} | {statistics.median(found):.0f} ms | "
                f"{pct(found, 0.95):.0f} ms | {max(found):.0f} ms | "
                f"{f'≤ {target:.0f} ms' if target else '—'} |"
            )
            print(lines[-1], flush=True)
        runtime.engine.dispose()
    data = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    made = f"generated in {seconds:.0f} s" if seconds else "reused"
    return "\n".join(lines) + f"\n\nData: {data} ({made}). {rollups}\n\n" + NOTES


def check(response: object) -> None:
    status = getattr(response, "status_code", 0)
    assert status == 200, f"{status}: {getattr(response, 'text', '')[:300]}"


NOTES = """\
How the pages stay fast (`service/dashboard/`):

- **Roll-up tables** (`models/rollup.py`, migration `0005_dashboard_rollups`), rebuilt per post from
  its page views by `rollup.refresh_post` (set-based `INSERT … SELECT`, the same SQL on SQLite
  and PostgreSQL): `dash_post_viewers` (one row per viewer of the post: views, read time,
  deepest scroll, first view's rep and sender, and the re-share tree's `direct`/`downstream`
  counts worked out once), `dash_post_reps` (per rep: views, viewers, read time, median,
  reach), `dash_post_reads` (per rep and viewer, for the team filter), `dash_post_sections`
  (the JSON section times summed once), `dash_post_rollups` (when, and from which views).
  Without them the biggest post's page took 3.5 s (p50): the JSON of every page view was
  parsed, every view fetched and folded per viewer in Python, first views found for the tree.
- The post page then reads: one aggregate pass over the post's viewer rows (primary key
  `(post_id, viewer_id)`: funnel, histogram buckets, completion depths and, on PostgreSQL,
  `percentile_cont` for the median, all in one `SELECT`), ≤ 1,000 rep rows, ≤ 10 section rows
  and the 500 biggest sharers (index `(post_id, downstream)`; a sender always has more people
  downstream than anyone they brought, so the top 500 include their ancestors).
- Freshness: the periodic job `rollup.refresh_active` finds posts whose page views changed
  (count and beacon total per post against the roll-up's, one scan) and rebuilds them; a page
  rebuilds inline only a missing roll-up or one older than 5 minutes. The numbers show
  "数据截至 HH:MM:SS".
- The post page's HTML lists the first 100 of the 1,000 reps (most views first; all of them
  on request and in the CSV): rendering a 1,000-row table cost ~50 ms of the budget.
- The viewers page needs no new index at this size: newest-first top 50 of 100,000 viewers
  is a scan of the viewers table (~15 MB) with a top-N sort, and the total rides along as a
  window count over the same pass (tag filters' hash joins on `viewer_tags`, found through
  its index on `tag`, run once instead of twice). An index on
  `viewers (org_id, last_seen_at)` is the next step for millions of viewers.
- Not in the target: the campaign overview aggregates all 40 posts' viewer rows (≈ 600,000)
  with a median per post; a per-post summary row would make it constant-time."""

if __name__ == "__main__":
    main()
