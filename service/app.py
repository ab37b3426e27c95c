"""The FastAPI application: `create_app(settings)`; migrations run at start-up."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service import engines, logs
from service.auth.pages import router as auth_pages
from service.auth.router import router as auth_router
from service.body_limit import MB, BodyDeadline, BodyLimit, BodyRule
from service.copies.router import router as copies_router
from service.dashboard.pages import router as dashboard_pages
from service.dashboard.router import router as dashboard_router
from service.deps import RuntimeDep
from service.errors import (
    ERROR_RESPONSES,
    ServiceUnavailable,
    install_error_handlers,
)
from service.orgs.router import org_router
from service.orgs.router import router as staff_router
from service.plans.pages import router as plans_pages
from service.plans.router import router as plans_router
from service.posts.pages import router as posts_pages
from service.posts.router import router as posts_router
from service.rephome.pages import router as rephome_pages
from service.rephome.router import router as rephome_router
from service.reps.pages import router as reps_pages
from service.reps.router import MAX_CSV_BYTES
from service.reps.router import router as reps_router
from service.rewrite.pages import router as rewrite_pages
from service.rewrite.router import router as rewrite_router
from service.runtime import Runtime
from service.security import LoginThrottle, SharedLoginThrottle
from service.settings import Settings
from service.tracking import beacons
from service.tracking.pages import router as tracking_pages
from service.tracking.router import router as tracking_router
from service.web import PageSecurityHeaders, install_page_handlers

STATIC = Path(__file__).resolve().parent / "static"
UPLOAD_BYTES = 95 * MB  # nine 10 MB images plus the form's text
CSV_BYTES = MAX_CSV_BYTES + 64 * 1024  # the file and its multipart framing
# Every body is bounded by its route (service/body_limit.py); JSON and plain forms by the default.
BODY_RULES = {
    ("POST", "/api/posts"): BodyRule(UPLOAD_BYTES),
    ("POST", "/admin/posts"): BodyRule(UPLOAD_BYTES),
    ("POST", "/api/reps/import"): BodyRule(CSV_BYTES, code="file_too_large"),
    ("POST", "/admin/reps/import"): BodyRule(CSV_BYTES, code="file_too_large"),
    ("POST", "/t"): BodyRule(beacons.MAX_BODY_BYTES, code="beacon_too_large"),
}
DEFAULT_BODY_RULE = BodyRule(1 * MB)


def login_throttle(settings: Settings) -> LoginThrottle:
    """Counted in Redis when there is one (several API processes share the limits), else in
    the process (the embedded single-process default)."""
    url = next((u for u in (settings.events_url, settings.broker_url) if u.startswith("redis")), "")
    if not url:
        return LoginThrottle()
    return SharedLoginThrottle.from_url(url, prefix=f"{settings.queue_prefix}momentcast:logins:")


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The app for `settings` (or a prepared `runtime`, which tests and the CLI share)."""
    runtime = runtime or Runtime.build(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.migrate()
        engines.warm_up()
        # What start-up loaded (the engines' dictionaries, the app) lives for the whole
        # process: keep it out of full collections, whose pauses otherwise reach ~50 ms and
        # set the beacon endpoint's p99 (bench/bench_tracking.py).
        gc.freeze()
        yield
        runtime.engine.dispose()

    production = runtime.settings.env == "production"
    app = FastAPI(
        title="momentcast",
        version="0.1.0",
        lifespan=lifespan,
        description="Every rep gets their own copy of every Moments post.",
        # The interactive docs load their scripts from a CDN and describe every endpoint:
        # not served in production.
        docs_url=None if production else "/docs",
        redoc_url=None if production else "/redoc",
        openapi_url=None if production else "/openapi.json",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_page_handlers(app)
    # Read by both login endpoints (service.auth.login), which check exactly what they count.
    app.state.login_throttle = login_throttle(runtime.settings)
    app.add_middleware(
        BodyLimit,
        rules=BODY_RULES,
        default=DEFAULT_BODY_RULE,
        deadline=BodyDeadline(
            runtime.settings.http_body_timeout_seconds, runtime.settings.http_body_min_rate
        ),
    )
    app.add_middleware(PageSecurityHeaders, https=runtime.settings.base_url.startswith("https://"))
    app.add_middleware(logs.RequestIds)  # added last: outermost, so every line has the id
    for router in (
        auth_router,
        staff_router,
        org_router,
        posts_router,
        reps_router,
        copies_router,
        rephome_router,
        auth_pages,
        posts_pages,
        plans_pages,  # after posts_pages: /admin/posts/new before /admin/posts/{post_id}
        reps_pages,
        rephome_pages,
        plans_router,
        dashboard_router,
        dashboard_pages,
        tracking_router,
        tracking_pages,
        rewrite_router,
        rewrite_pages,
    ):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    app.add_api_route("/", lambda: RedirectResponse("/admin"), include_in_schema=False)
    return app


def healthz(runtime: RuntimeDep) -> dict[str, str]:
    """200 when the app and its database answer; 503 when the database does not."""
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(f"the database does not answer ({type(exc).__name__})") from None
    return {"status": "ok"}
