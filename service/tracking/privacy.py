"""A viewer's data on request (export, erase) and the expiry of raw events."""

from __future__ import annotations

import time

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from service.models.tracking import PageView, Viewer, ViewerTag
from service.settings import Settings
from service.tracking import viewers
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
    org_id = viewer.org_id
    session.execute(
        update(PageView)
        .where(PageView.org_id == org_id, PageView.parent_viewer_id == viewer.id)
        .values(parent_viewer_id=None)
    )
    session.execute(delete(ViewerTag).where(ViewerTag.viewer_id == viewer.id))
    session.execute(
        delete(PageView).where(PageView.org_id == org_id, PageView.viewer_id == viewer.id)
    )
    session.delete(viewer)
    session.flush()


def purge_events(store: EventStore, settings: Settings, *, now: float | None = None) -> int:
    """Delete folded raw events older than the retention period; returns how many."""
    cutoff = (now or time.time()) - settings.tracking_event_retention_days * 86400
    return store.purge(older_than=cutoff)
