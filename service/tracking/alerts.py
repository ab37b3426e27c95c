"""Rep alerts: when a viewer a rep brought reaches a read-time tier, the rep sees it at the top
of their page and is told through the notifications (service.notifications).

The tag job calls `record_crossings` with what it computed; an alert exists once per (viewer,
tier), so recomputing never alerts twice. Delivery is the notifications' periodic job.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from service import notifications
from service.models import RepAlert


def record_crossings(
    session: Session, *, org_id: int, tiers: Iterable[tuple[int, str, str]]
) -> int:
    """New alerts for (viewer id, tier tag, evidence) not alerted before; returns how many."""
    return notifications.enqueue_alerts(session, org_id=org_id, crossings=tiers)


def for_rep(session: Session, *, org_id: int, rep_id: int, limit: int = 5) -> list[RepAlert]:
    """The rep's newest alerts, for the top of their page."""
    return notifications.alerts_for_rep(session, org_id=org_id, rep_id=rep_id, limit=limit)
