"""Where reminders go: a WeCom group robot, a signed HTTPS webhook, e-mail.

Each notifier sends a batch of reminders in one go (the WeCom robot @-mentions many reps in
one message, since it allows only 20 messages a minute; the others send one per reminder) and
raises `NotifierError` when the other side did not accept it (`Undeliverable` when no retry
can help). Every connection goes through service.outbound (resolved, checked, pinned), and
every answer is read as untrusted: at most `MAX_ANSWER` bytes, any JSON shape.

    NotifierError        retried with backoff, then marked failed
    └── Undeliverable    marked failed at once (an address no mail server could take)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import smtplib
import socket
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
from service.outbound import Outbound, OutboundRefused
from service.settings import Settings

log = logging.getLogger(__name__)
WECOM_TEXT_LIMIT = 2048  # bytes of UTF-8 in a text message's content
MAX_ANSWER = 64 * 1024  # bytes of a robot's or webhook's answer read; the rest is ignored
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # Unicode Cc, Zl and Zp: "\r\n" is one
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class NotifierError(Exception):
    """The channel refused or did not answer; the reminder is retried with backoff."""


class Undeliverable(NotifierError):
    """This message can never be sent as stored (an e-mail address with a line break in it):
    it is marked failed at once, and the others go on."""


def single_line(text: str) -> str:
    """`text` with every control or line/paragraph separator character (CR, LF, NUL, U+0085,
    U+2028...) made a space: stored data reaches mail headers and one-line headings."""
    return _BREAKS.sub(" ", text).strip()


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


def _post(
    outbound: Outbound,
    url: str,
    body: bytes,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> bytes:
    """POST `body`; the answer's first MAX_ANSWER bytes. Any failure, including a URL that
    cannot be parsed or resolved (`https://xn--/`), is a NotifierError."""
    sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        with (
            outbound.http_client(timeout=timeout) as client,
            client.stream("POST", url, content=body, headers=sent) as response,
        ):
            answer = _read_at_most(response, MAX_ANSWER)
    except OutboundRefused as exc:
        raise NotifierError(f"refused: {exc}") from None
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise NotifierError(f"{exc.__class__.__name__}: {exc}") from None
    if response.status_code >= 300:
        text = answer[:200].decode("utf-8", "replace")
        raise NotifierError(f"HTTP {response.status_code}: {text}")
    return answer


def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    answer = bytearray()
    for chunk in response.iter_bytes():
        answer += chunk
        if len(answer) >= limit:
            break  # a huge answer: what matters is at its start
    return bytes(answer[:limit])


def _answer(answer: bytes) -> dict[str, object]:
    """A JSON object from a robot's answer, or NotifierError for anything else ([], "x", 5)."""
    try:
        result = json.loads(answer)
    except (ValueError, RecursionError):
        raise NotifierError(f"not JSON: {answer[:200]!r}") from None
    if not isinstance(result, dict):
        raise NotifierError(f"not a JSON object: {answer[:200]!r}")
    return result


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

    def __init__(self, url: str, *, timeout: float, outbound: Outbound) -> None:
        self.url, self.timeout, self.outbound = url, timeout, outbound

    def wants(self, message: Message) -> bool:
        return True

    def send(self, messages: Sequence[Message]) -> None:
        first = messages[0]
        heading = HEADINGS[first.stage].format(title=single_line(first.post_title))
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
        body = json.dumps(payload, ensure_ascii=False).encode()
        result = _answer(_post(self.outbound, self.url, body, self.timeout))
        if result.get("errcode") != 0:
            code, why = str(result.get("errcode"))[:20], str(result.get("errmsg"))[:200]
            raise NotifierError(f"errcode {code}: {why}")


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + HMAC-SHA256 of "{timestamp}.{body}": what a receiver recomputes."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class Webhook:
    """A JSON POST per reminder, signed (X-Momentcast-Signature) so the receiver knows it came
    from momentcast and (with the timestamp) is not a replay."""

    channel = "webhook"
    batch_size = 1

    def __init__(self, url: str, secret: str, *, timeout: float, outbound: Outbound) -> None:
        self.url, self.secret, self.timeout, self.outbound = url, secret, timeout, outbound

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
                self.outbound,
                self.url,
                body,
                self.timeout,
                {"X-Momentcast-Timestamp": timestamp, "X-Momentcast-Signature": signature},
            )


class Email:
    """One e-mail per reminder, to reps who have an address."""

    channel = "email"
    batch_size = 1

    def __init__(self, url: str, sender: str, *, timeout: float, outbound: Outbound) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError(
                f"MOMENTCAST_SMTP_URL must be smtp://host:port or smtps://...: {url!r}"
            )
        self.tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender, self.timeout, self.outbound = sender, timeout, outbound

    def wants(self, message: Message) -> bool:
        return bool(message.rep_email)

    def send(self, messages: Sequence[Message]) -> None:
        emails = [self._email(message) for message in messages]  # before connecting
        try:
            with self._connect() as smtp:
                for email in emails:
                    smtp.send_message(email)
        except OutboundRefused as exc:
            raise NotifierError(f"refused: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifierError(f"{exc.__class__.__name__}: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.tls:
            smtp = _PinnedSMTPS(self.outbound, timeout=self.timeout)
        else:
            smtp = _PinnedSMTP(self.outbound, timeout=self.timeout)
        smtp.connect(self.host, self.port)
        if self.user:
            smtp.login(self.user, self.password)
        return smtp

    def _email(self, message: Message) -> EmailMessage:
        address = message.rep_email
        if single_line(address) != address or not _EMAIL.fullmatch(address):
            raise Undeliverable(f"rep {message.rep_id}'s e-mail address is malformed")
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = address
        if message.stage == ALERT:
            subject = f"读者动态：{message.note}"
        elif message.stage == 1:
            subject = f"请在 {message.slot_local} 发布：{message.post_title}"
        else:
            subject = f"还没有发布：{message.post_title}"
        email["Subject"] = single_line(subject)  # a stored title with CR/LF: one header
        hint = "" if message.stage == ALERT else "\n\n打开链接，一键复制文案、长按保存图片。"
        email.set_content(_lines(message) + hint + "\n")
        return email


class _PinnedSMTP(smtplib.SMTP):
    """smtplib connecting to the checked address of the host (service.outbound)."""

    def __init__(self, outbound: Outbound, *, timeout: float) -> None:
        self.outbound = outbound
        super().__init__(timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self.outbound.connect(host, port, timeout)


class _PinnedSMTPS(smtplib.SMTP_SSL):
    """The same over TLS from the start; the certificate is checked against the host name."""

    def __init__(self, outbound: Outbound, *, timeout: float) -> None:
        self.outbound = outbound
        super().__init__(timeout=timeout, context=ssl.create_default_context())

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = self.outbound.connect(host, port, timeout)
        return self.context.wrap_socket(sock, server_hostname=self._host)  # type: ignore[attr-defined]


class Deliverable(Protocol):
    """A row that tracks its own delivery (service.models.plan.Delivery)."""

    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


def record(
    row: Deliverable,
    error: str | None,
    settings: Settings,
    at: datetime,
    *,
    permanent: bool = False,
) -> str:
    """One attempt's outcome: "sent", "retry" (after an exponential backoff) or, once
    `reminder_max_attempts` have failed (or at once when `permanent`), "failed" for good."""
    row.attempts += 1
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", at, None
        return "sent"
    row.last_error = error[:2000]
    if permanent or row.attempts >= settings.reminder_max_attempts:
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
    """Every organisation's notifiers (what the reminder and alert jobs send through). An
    organisation whose stored channels cannot be built is logged and left out of this run;
    the others are not."""
    with unit_of_work(sessions) as session:
        orgs = list(session.scalars(select(Organisation).order_by(Organisation.id)))
    built = {}
    for org in orgs:
        try:
            built[org.id] = for_org(settings, org)
        except Exception:
            log.exception("organisation %s: its reminder channels cannot be used", org.id)
    return built


def outbound_for(settings: Settings, *, smtp: bool = False) -> Outbound:
    allow = settings.allows_private_outbound or (smtp and settings.smtp_allow_private)
    return Outbound(allow_private=allow)


def _build(settings: Settings, wecom_url: str, webhook_url: str, secret: str) -> list[Notifier]:
    timeout = settings.notifier_timeout_seconds
    outbound = outbound_for(settings)
    notifiers: list[Notifier] = []
    if wecom_url:
        notifiers.append(WeComRobot(wecom_url, timeout=timeout, outbound=outbound))
    if webhook_url:
        if not secret:
            raise ValueError("MOMENTCAST_WEBHOOK_SECRET must be set with MOMENTCAST_WEBHOOK_URL")
        notifiers.append(Webhook(webhook_url, secret, timeout=timeout, outbound=outbound))
    if settings.smtp_url:
        mail = outbound_for(settings, smtp=True)
        notifiers.append(
            Email(settings.smtp_url, settings.smtp_from, timeout=timeout, outbound=mail)
        )
    return notifiers
