"""A viewer's data on request (export, erase) and the expiry of raw events."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from service.models.tracking import Viewer
from service.settings import Settings
from service.tracking import repository, viewers
from service.tracking.events import EventStore
from service.tracking.schemas import ViewerExport


def export(session: Session, viewer: Viewer) -> ViewerExport:
    return ViewerExport(
        viewer=viewers.detail(session, viewer),
        cookie_id=viewer.cookie_id,
        openid=viewer.openid,
    )


def erase(session: Session, viewer: Viewer) -> None:
    """Delete the viewer, their page views and tags. Viewers they brought stay, unlinked;
    late beacons of erased page views find nothing to fold into and are dropped."""
    repository.erase_viewer(session, viewer)


def purge_events(store: EventStore, settings: Settings, *, now: float | None = None) -> int:
    """Delete folded raw events older than the retention period; returns how many."""
    cutoff = (now or time.time()) - settings.tracking_event_retention_days * 86400
    return store.purge(older_than=cutoff)
