"""SQL for rewrite providers; one row per organisation at most."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import RewriteProvider


def get(session: Session, *, org_id: int) -> RewriteProvider | None:
    return session.get(RewriteProvider, org_id)


def put(session: Session, row: RewriteProvider) -> RewriteProvider:
    session.add(row)
    session.flush()
    return row


def delete(session: Session, *, org_id: int) -> None:
    row = session.get(RewriteProvider, org_id)
    if row is not None:
        session.delete(row)
        session.flush()


def all_providers(session: Session) -> list[RewriteProvider]:
    """Across organisations: only re-encrypting keys after a secret-key rotation needs this."""
    return list(session.scalars(select(RewriteProvider).order_by(RewriteProvider.org_id)))
