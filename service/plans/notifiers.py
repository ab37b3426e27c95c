"""Where reminders go: a WeCom group robot, a signed HTTPS webhook, e-mail.

Each notifier sends a batch of reminders in one go (the WeCom robot @-mentions many reps in
one message, since it allows only 20 messages a minute; the others send one per reminder) and
raises `NotifierError` when the other side did not accept it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db import unit_of_work
from service.models import Organisation
from service.settings import Settings

WECOM_TEXT_LIMIT = 2048  # bytes of UTF-8 in a text message's content


class NotifierError(Exception):
    """The channel refused or did not answer; the reminder is retried with backoff."""


@dataclass(frozen=True)
class Message:
    """One reminder (or viewer alert) for one rep."""

    stage: int  # 1 at the slot, 2 when still not posted later; ALERT: a viewer reached a tier
    post_id: int
    post_title: str
    rep_id: int
    rep_name: str
    rep_team: str
    rep_phone: str
    rep_email: str
    slot_local: str  # "20:14", in the rep's timezone
    slot_at: str  # ISO-8601, UTC
    url: str  # the rep's personal page
    note: str = ""  # an alert's text: "优优妈妈 细读：读了《…》13分02秒"


ALERT = 0
HEADINGS = {
    1: "【发布提醒】《{title}》",
    2: "【再次提醒】《{title}》还没有发布的同事：",
    ALERT: "【读者动态】",
}


class Notifier(Protocol):
    channel: str
    batch_size: int

    def wants(self, message: Message) -> bool: ...

    def send(self, messages: Sequence[Message]) -> None: ...


def _post(url: str, body: bytes, timeout: float, headers: dict[str, str] | None = None) -> bytes:
    try:
        response = httpx.post(
            url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise NotifierError(f"{exc.__class__.__name__}: {exc}") from None
    if response.status_code >= 300:
        raise NotifierError(f"HTTP {response.status_code}: {response.text[:200]}")
    return response.content


def _lines(message: Message) -> str:
    if message.stage == ALERT:
        return f"{message.rep_name}：{message.note}，看看 {message.url}"
    if message.stage == 1:
        return f"{message.rep_name}：建议 {message.slot_local} 发布，文案和图片在 {message.url}"
    return f"{message.rep_name}：还没有发布哦，文案和图片在 {message.url}"


class WeComRobot:
    """A WeCom group robot (`cgi-bin/webhook/send?key=...`): one text message per batch,
    @-mentioning the reps by mobile number."""

    channel = "wecom"
    batch_size = 10

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url, self.timeout = url, timeout

    def wants(self, message: Message) -> bool:
        return True

    def send(self, messages: Sequence[Message]) -> None:
        first = messages[0]
        heading = HEADINGS[first.stage].format(title=first.post_title)
        content = "\n".join([heading, *(_lines(m) for m in messages)])
        while len(content.encode()) > WECOM_TEXT_LIMIT:
            content = content[: len(content) - 20].rstrip() + "…"  # a very long title
        payload = {
            "msgtype": "text",
            "text": {
                "content": content,
                "mentioned_mobile_list": [m.rep_phone for m in messages if m.rep_phone],
            },
        }
        answer = _post(self.url, json.dumps(payload, ensure_ascii=False).encode(), self.timeout)
        try:
            result = json.loads(answer)
        except ValueError:
            raise NotifierError(f"not JSON: {answer[:200]!r}") from None
        if result.get("errcode") != 0:
            raise NotifierError(f"errcode {result.get('errcode')}: {result.get('errmsg')}")


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + HMAC-SHA256 of "{timestamp}.{body}": what a receiver recomputes."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class Webhook:
    """A JSON POST per reminder, signed (X-Momentcast-Signature) so the receiver knows it came
    from momentcast and (with the timestamp) is not a replay."""

    channel = "webhook"
    batch_size = 1

    def __init__(self, url: str, secret: str, *, timeout: float) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout

    def wants(self, message: Message) -> bool:
        return True

    def send(self, messages: Sequence[Message]) -> None:
        for message in messages:
            payload = {
                "event": "viewer_alert" if message.stage == ALERT else "reminder",
                "note": message.note,
                "stage": message.stage,
                "post": {"id": message.post_id, "title": message.post_title},
                "rep": {
                    "id": message.rep_id,
                    "name": message.rep_name,
                    "team": message.rep_team,
                    "phone": message.rep_phone,
                    "email": message.rep_email,
                },
                "slot_at": message.slot_at,
                "url": message.url,
            }
            body = json.dumps(payload, ensure_ascii=False).encode()
            timestamp = str(int(time.time()))
            signature = sign_webhook(self.secret, timestamp, body)
            _post(
                self.url,
                body,
                self.timeout,
                {"X-Momentcast-Timestamp": timestamp, "X-Momentcast-Signature": signature},
            )


class Email:
    """One e-mail per reminder, to reps who have an address."""

    channel = "email"
    batch_size = 1

    def __init__(self, url: str, sender: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError(
                f"MOMENTCAST_SMTP_URL must be smtp://host:port or smtps://...: {url!r}"
            )
        self.tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender, self.timeout = sender, timeout

    def wants(self, message: Message) -> bool:
        return bool(message.rep_email)

    def send(self, messages: Sequence[Message]) -> None:
        try:
            with self._connect() as smtp:
                for message in messages:
                    smtp.send_message(self._email(message))
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifierError(f"{exc.__class__.__name__}: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.user:
            smtp.login(self.user, self.password)
        return smtp

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.rep_email
        if message.stage == ALERT:
            email["Subject"] = f"读者动态：{message.note}"
        elif message.stage == 1:
            email["Subject"] = f"请在 {message.slot_local} 发布：{message.post_title}"
        else:
            email["Subject"] = f"还没有发布：{message.post_title}"
        hint = "" if message.stage == ALERT else "\n\n打开链接，一键复制文案、长按保存图片。"
        email.set_content(_lines(message) + hint + "\n")
        return email


class Deliverable(Protocol):
    """A row that tracks its own delivery (service.models.plan.Delivery)."""

    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


def record(row: Deliverable, error: str | None, settings: Settings, at: datetime) -> str:
    """One attempt's outcome: "sent", "retry" (after an exponential backoff) or, once
    `reminder_max_attempts` have failed, "failed" for good."""
    row.attempts += 1
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", at, None
        return "sent"
    row.last_error = error
    if row.attempts >= settings.reminder_max_attempts:
        row.status = "failed"
        return "failed"
    delay = settings.reminder_backoff_seconds * 2 ** (row.attempts - 1)
    row.next_attempt_at = at + timedelta(seconds=delay)
    return "retry"


def for_org(settings: Settings, org: Organisation) -> list[Notifier]:
    """The organisation's own WeCom robot and webhook where it set them, else the install's;
    e-mail is the install's (one SMTP server sends for every brand)."""
    webhook = (org.webhook_url, org.webhook_secret) if org.webhook_url else None
    return _build(
        settings,
        org.wecom_robot_url or settings.wecom_robot_url,
        *(webhook or (settings.webhook_url, settings.webhook_secret)),
    )


def by_org(sessions: sessionmaker[Session], settings: Settings) -> dict[int, list[Notifier]]:
    """Every organisation's notifiers (what the reminder and alert jobs send through)."""
    with unit_of_work(sessions) as session:
        orgs = session.scalars(select(Organisation).order_by(Organisation.id))
        return {org.id: for_org(settings, org) for org in orgs}


def _build(settings: Settings, wecom_url: str, webhook_url: str, secret: str) -> list[Notifier]:
    timeout = settings.notifier_timeout_seconds
    notifiers: list[Notifier] = []
    if wecom_url:
        notifiers.append(WeComRobot(wecom_url, timeout=timeout))
    if webhook_url:
        if not secret:
            raise ValueError("MOMENTCAST_WEBHOOK_SECRET must be set with MOMENTCAST_WEBHOOK_URL")
        notifiers.append(Webhook(webhook_url, secret, timeout=timeout))
    if settings.smtp_url:
        notifiers.append(Email(settings.smtp_url, settings.smtp_from, timeout=timeout))
    return notifiers
