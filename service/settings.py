"""The one settings class: every knob momentcast reads from the environment (`MOMENTCAST_*`)."""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEV_SECRET_KEY = "momentcast-development-only-secret-change-me"
MIN_SECRET_LENGTH = 32  # production keys: ~190 bits as token_urlsafe(32) prints them

log = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Defaults run on one machine with no servers: SQLite and an embedded broker under DATA_DIR."""

    model_config = SettingsConfigDict(env_prefix="MOMENTCAST_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./data")
    database_url: str = ""  # empty: SQLite file under data_dir
    broker_url: str = ""  # empty: kombu's SQLAlchemy transport on SQLite under data_dir
    secret_key: str = DEV_SECRET_KEY
    # Rotating the key: put the old one here (comma-separated, oldest first) while links and
    # logins signed with it should keep working; everything new is signed with secret_key.
    previous_secret_keys: str = ""
    base_url: str = "http://127.0.0.1:8000"
    staff_token_ttl_seconds: int = 12 * 3600
    preview_reps: int = 3
    # Slow clients (service/serving.py, service/body_limit.py): a connection's request headers
    # must be complete, and an idle keep-alive connection is closed, within the idle timeout;
    # a body must arrive within body_timeout plus one second per body_min_rate bytes.
    http_idle_timeout_seconds: int = 10
    http_body_timeout_seconds: float = 20.0
    http_body_min_rate: int = 10_000  # bytes per second
    # Read tracking (service/tracking). events_url empty: a durable SQLite journal under
    # data_dir; redis://...: a Redis stream read by a consumer group.
    events_url: str = ""
    events_stream: str = "momentcast:events"  # the Redis stream's key
    tracking_idle_seconds: int = 30  # engaged time stops after this long without touch/scroll
    tracking_clock_margin_seconds: float = 5.0  # slack over the elapsed time the server saw
    tracking_view_rate: float = 1.0  # beacons per second per page view (sustained) ...
    tracking_view_burst: int = 20  # ... and its burst
    tracking_ip_rate: float = 200.0  # beacons per second per client address (sustained) ...
    tracking_ip_burst: int = 400  # ... and its burst
    # Landing-page opens per client address: past the counted limit an open is served but not
    # counted as a viewer or page view; past the hard limit it is refused (429). Loose enough
    # for many phones behind one carrier NAT, tight enough that a script cannot fake a crowd.
    tracking_open_rate: float = 1.0  # counted opens per second per address (sustained) ...
    tracking_open_burst: int = 60  # ... and its burst
    tracking_open_hard_rate: float = 10.0  # served opens per second per address ...
    tracking_open_hard_burst: int = 300  # ... and its burst
    tracking_event_retention_days: int = 90
    # A Redis delivery unacknowledged this long is taken over from its (dead) consumer; long
    # enough that a slow but living consumer is never raced.
    tracking_claim_idle_seconds: float = 60.0
    wechat_oa_appid: str = ""  # set both to use silent OAuth (snsapi_base) in WeChat
    wechat_oa_secret: str = ""
    wechat_open_url: str = "https://open.weixin.qq.com"
    wechat_api_url: str = "https://api.weixin.qq.com"
    # Scheduler (scheduler/, service/plans). send_tasks None: queue tasks on the broker unless
    # env == "test" (tests pass their own dispatcher or call the tasks' functions directly).
    send_tasks: bool | None = None
    queue_prefix: str = ""  # prepended to queue names, so several installs can share a broker
    broker_visibility_timeout: int = 3600  # Redis: unacked tasks come back after this long
    # A stopping process finishes what it is doing for this long: the API its requests, a
    # worker its tasks (then it gives the rest back to the broker and exits; see
    # scheduler/shutdown.py). `momentcast run` and docker-compose allow for it before they kill.
    shutdown_grace_seconds: float = 10.0
    fanout_chunk_size: int = 10  # reps per copy-generation task
    image_threads: int = 0  # threads per process varying one copy's images; 0: one per core
    default_timezone: str = "Asia/Shanghai"  # for reps without their own
    default_window_minutes: int = 120  # publishing without a window: now to now + this
    slot_max_share: float = 0.02  # at most this share of a plan's reps in any one minute
    sweep_interval_seconds: float = 30.0
    sweep_stuck_seconds: float = 120.0  # no copy generated for this long: re-queue the rest
    reminder_interval_seconds: float = 30.0
    second_reminder_after_minutes: int = 60  # 0: no second reminder
    reminder_max_attempts: int = 5
    reminder_backoff_seconds: float = 30.0  # doubled after each failed attempt
    notifier_timeout_seconds: float = 5.0
    wecom_robot_url: str = ""  # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
    wecom_messages_per_minute: int = 20  # the robot's own limit
    webhook_url: str = ""  # JSON POST per reminder, signed with webhook_secret
    webhook_secret: str = ""
    smtp_url: str = ""  # smtp://user:password@host:port (smtps:// for TLS)
    smtp_from: str = "momentcast@localhost"
    log_level: str = "INFO"
    log_json: bool | None = None  # one JSON object per line; None: in production only
    # Outbound connections (webhooks, robots, SMTP) to loopback, private, link-local and other
    # non-public addresses. None: refused in production, allowed elsewhere (local fake
    # servers in tests, a developer's own receiver). Checked on the resolved addresses at send.
    outbound_allow_private: bool | None = None
    # The operator's own mail relay on this machine or network (smtp://127.0.0.1:25): allowed
    # for SMTP only, so webhooks and robots stay checked.
    smtp_allow_private: bool = False
    # Work one organisation may do in one run of a periodic job (reminders, alerts, late-rep
    # enrolment); the rest waits for the next run, so no organisation delays another's.
    job_org_budget_seconds: float = 2.0
    enrol_items_per_run: int = 2000  # plan items one organisation's late reps get per run
    enrol_interval_seconds: float = 10.0  # how often late reps are enrolled
    fanout_reps_per_run: int = 500  # copy generations one plan has queued at a time
    # 改写建议 (service/rewrite): how long to wait for an organisation's LLM provider, and
    # how many reps the preview's diversity meter simulates at most.
    rewrite_timeout_seconds: float = 20.0
    meter_max_reps: int = 100

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'momentcast.db'}"
        _check_database_url(self.database_url)
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.data_dir / 'broker.db'}"
        if self.base_url.endswith("/"):
            self.base_url = self.base_url.rstrip("/")
        _check_secrets(self)
        return self

    def environment(self) -> dict[str, str]:
        """These settings as MOMENTCAST_* variables: what a child process (a worker, beat, a
        test's server) needs to run on exactly the same settings."""
        return {
            f"MOMENTCAST_{name.upper()}": str(value)
            for name, value in self.model_dump().items()
            if value is not None
        }

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Every key that verifies, oldest first; the last one signs."""
        previous = [key.strip() for key in self.previous_secret_keys.split(",") if key.strip()]
        return (*previous, self.secret_key)

    @property
    def log_json_lines(self) -> bool:
        return self.log_json if self.log_json is not None else self.env == "production"

    @property
    def allows_private_outbound(self) -> bool:
        if self.outbound_allow_private is not None:
            return self.outbound_allow_private
        return self.env != "production"

    @property
    def sends_tasks(self) -> bool:
        return self.send_tasks if self.send_tasks is not None else self.env != "test"

    @cached_property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @cached_property
    def events_journal(self) -> Path:
        """The embedded event store (used when events_url is empty)."""
        return self.data_dir / "events.db"


def _check_database_url(url: str) -> None:
    try:
        make_url(url)
    except ArgumentError:
        raise ValueError(f"MOMENTCAST_DATABASE_URL is not a database URL: {url!r}") from None


def _check_secrets(settings: Settings) -> None:
    """Refuse keys anyone could know or guess. Development keeps working out of the box with
    the published key (and a loud warning); production refuses it, short keys and an unsigned
    webhook, because each would let an outsider forge logins, rep links or reminders."""
    generate = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if not settings.secret_key.strip():
        raise ValueError(f"MOMENTCAST_SECRET_KEY is empty; {generate}")
    if settings.env == "production":
        if settings.secret_key == DEV_SECRET_KEY:
            raise ValueError(
                f"MOMENTCAST_SECRET_KEY must be set when MOMENTCAST_ENV=production; {generate}"
            )
        if len(settings.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"MOMENTCAST_SECRET_KEY is {len(settings.secret_key)} characters; production "
                f"needs at least {MIN_SECRET_LENGTH}; {generate}"
            )
        if settings.webhook_url and len(settings.webhook_secret) < MIN_SECRET_LENGTH // 2:
            raise ValueError(
                "MOMENTCAST_WEBHOOK_SECRET must be at least "
                f"{MIN_SECRET_LENGTH // 2} characters when MOMENTCAST_WEBHOOK_URL is set; "
                "receivers check reminders against it"
            )
        return
    if settings.secret_key == DEV_SECRET_KEY:
        log.warning(
            "MOMENTCAST_SECRET_KEY is not set: using the development key. "
            "Anyone can forge logins and rep links; never deploy like this."
        )
