"""Where notifications go: a WeCom group robot, a signed HTTPS webhook, e-mail.

Each notifier sends a batch of messages in one go (the WeCom robot @-mentions many reps in
one message, since it allows only 20 messages a minute; the others send one per message) and
raises `NotifierError` when the other side did not accept it (`Undeliverable` when no retry
can help). What is said is the message's own (service.notifications.messages); a notifier
only carries it. Every connection goes through service.outbound (resolved, checked, pinned),
and every answer is read as untrusted: at most `MAX_ANSWER` bytes, any JSON shape.

    NotifierError        retried with backoff, then marked failed
    └── Undeliverable    marked failed at once (an address no mail server could take)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx

from service.models import Organisation
from service.notifications.messages import Notification, Recipient, single_line
from service.outbound import Outbound, OutboundRefused
from service.settings import Settings

WECOM_TEXT_LIMIT = 2048  # bytes of UTF-8 in a text message's content
MAX_ANSWER = 64 * 1024  # bytes of a robot's or webhook's answer read; the rest is ignored
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class NotifierError(Exception):
    """The channel refused or did not answer; the reminder is retried with backoff."""


class Undeliverable(NotifierError):
    """This message can never be sent as stored (an e-mail address with a line break in it):
    it is marked failed at once, and the others go on."""


class Notifier(Protocol):
    channel: str
    batch_size: int

    def wants(self, recipient: Recipient) -> bool: ...

    def send(self, messages: Sequence[Notification]) -> None: ...


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


class WeComRobot:
    """A WeCom group robot (`cgi-bin/webhook/send?key=...`): one text message per batch,
    @-mentioning the reps by mobile number."""

    channel = "wecom"
    batch_size = 10

    def __init__(self, url: str, *, timeout: float, outbound: Outbound) -> None:
        self.url, self.timeout, self.outbound = url, timeout, outbound

    def wants(self, recipient: Recipient) -> bool:
        return True

    def send(self, messages: Sequence[Notification]) -> None:
        content = "\n".join([messages[0].heading(), *(m.line() for m in messages)])
        while len(content.encode()) > WECOM_TEXT_LIMIT:
            content = content[: len(content) - 20].rstrip() + "…"  # a very long title
        payload = {
            "msgtype": "text",
            "text": {
                "content": content,
                "mentioned_mobile_list": [m.recipient.phone for m in messages if m.recipient.phone],
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

    def wants(self, recipient: Recipient) -> bool:
        return True

    def send(self, messages: Sequence[Notification]) -> None:
        for message in messages:
            body = json.dumps(message.payload(), ensure_ascii=False).encode()
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

    def wants(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def send(self, messages: Sequence[Notification]) -> None:
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

    def _email(self, message: Notification) -> EmailMessage:
        address = message.recipient.email
        if single_line(address) != address or not _EMAIL.fullmatch(address):
            raise Undeliverable(f"rep {message.recipient.rep_id}'s e-mail address is malformed")
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = address
        email["Subject"] = message.subject()  # one line, whatever the stored title held
        email.set_content(message.body())
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


def for_org(settings: Settings, org: Organisation) -> list[Notifier]:
    """The organisation's own WeCom robot and webhook where it set them, else the install's;
    e-mail is the install's (one SMTP server sends for every brand)."""
    webhook = (org.webhook_url, org.webhook_secret) if org.webhook_url else None
    return _build(
        settings,
        org.wecom_robot_url or settings.wecom_robot_url,
        *(webhook or (settings.webhook_url, settings.webhook_secret)),
    )


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
