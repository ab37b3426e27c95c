"""An organisation's own reminder channels: its WeCom group robot and its webhook.

The robot URL carries the robot's key, so it is a secret too: it is shown masked and never
logged. Only https endpoints are accepted in production, and never one that names this
machine or a private network, in any notation (the workers would otherwise post wherever an
admin points them, including services that trust the local network). This is the early,
friendly refusal; the binding check is made again on the resolved addresses at every send
(service.outbound), since a name can resolve elsewhere later."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from service.errors import Unprocessable
from service.models import Organisation
from service.orgs.schemas import ReminderChannels, ReminderChannelsUpdate
from service.outbound import (
    Outbound,
    OutboundRefused,
    Unresolvable,
    blocked,
    literal_address,
    local_name,
)
from service.settings import Settings

MIN_WEBHOOK_SECRET = 16


def read(org: Organisation) -> ReminderChannels:
    return ReminderChannels(
        wecom_robot_url=mask(org.wecom_robot_url),
        webhook_url=org.webhook_url,
        webhook_secret_set=bool(org.webhook_secret),
    )


def update(
    session: Session, settings: Settings, org: Organisation, data: ReminderChannelsUpdate
) -> ReminderChannels:
    """Set the fields given (an empty string clears one); unchanged fields stay."""
    changes = data.model_dump(exclude_unset=True)
    for field in ("wecom_robot_url", "webhook_url"):
        if changes.get(field):
            check_endpoint(changes[field].strip(), settings, field=field)
            changes[field] = changes[field].strip()
    webhook = changes.get("webhook_url", org.webhook_url)
    secret = changes.get("webhook_secret", org.webhook_secret)
    if webhook and len(secret) < MIN_WEBHOOK_SECRET:
        raise Unprocessable(
            f"webhook_secret needs at least {MIN_WEBHOOK_SECRET} characters when "
            "webhook_url is set: receivers check each reminder's signature with it",
            code="invalid_channel",
        )
    for field, value in changes.items():
        setattr(org, field, value)
    session.flush()
    return read(org)


def check_endpoint(url: str, settings: Settings, *, field: str) -> None:
    schemes = {"https"} if settings.env == "production" else {"https", "http"}
    allowed = " or ".join(sorted(schemes))
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # both parse lazily and may raise
    except ValueError:
        host = port = None
        parts = None
    if parts is None or parts.scheme not in schemes or not host:
        raise Unprocessable(
            f"{field} 不是有效的 {allowed} 地址（{field} must be an {allowed} URL）",
            code="invalid_channel",
        )
    if not settings.allows_private_outbound and _internal(host, port or 443):
        raise Unprocessable(
            f"{field} 指向本机或内网地址（{field} points at this machine or a private network）",
            code="invalid_channel",
        )


def _internal(host: str, port: int) -> bool:
    """Whether `host` names or resolves to a non-public address. A name that does not
    resolve now passes: it is checked again, and refused if still unresolvable, at send."""
    bare = host.rstrip(".")
    if local_name(host):
        return True
    address = literal_address(bare)
    if address is not None:
        return blocked(address)
    try:
        Outbound(allow_private=False).addresses(bare, port)
    except Unresolvable:
        return False
    except OutboundRefused:
        return True
    return False


def mask(url: str) -> str:
    """The URL with its query (where the robot's key is) reduced to its last four characters."""
    if not url:
        return ""
    base, _, query = url.partition("?")
    return f"{base}?…{query[-4:]}" if query else base
