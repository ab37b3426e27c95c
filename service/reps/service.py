"""Reps: create, import, update, rotate their personal link."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from service.errors import Conflict
from service.models import Rep
from service.reps import repository
from service.reps.csv_import import parse_reps_csv
from service.reps.schemas import ImportResult, RepCreate, RepRead, RepUpdate
from service.runtime import Runtime
from service.security import RepLink, new_nonce


def get(session: Session, *, org_id: int, rep_id: int) -> Rep | None:
    return repository.get(session, org_id=org_id, rep_id=rep_id)


def list_(
    session: Session, *, org_id: int, active_only: bool = False, limit: int | None = None
) -> list[Rep]:
    return repository.list_(session, org_id=org_id, active_only=active_only, limit=limit)


def personal_url(runtime: Runtime, rep: Rep) -> str:
    token = runtime.signer.rep_token(RepLink(rep.org_id, rep.id, rep.link_nonce))
    return runtime.rep_url(token)


def to_read(runtime: Runtime, rep: Rep) -> RepRead:
    return RepRead(
        id=rep.id,
        name=rep.name,
        team=rep.team,
        phone=rep.phone,
        external_id=rep.external_id,
        email=rep.email,
        timezone=rep.timezone,
        active=rep.active,
        url=personal_url(runtime, rep),
        created_at=rep.created_at,
    )


def create(session: Session, *, org_id: int, data: RepCreate) -> Rep:
    if data.external_id and repository.by_external_ids(
        session, org_id=org_id, external_ids=[data.external_id]
    ):
        raise Conflict(
            f"a rep with external id {data.external_id!r} exists", code="external_id_taken"
        )
    return repository.add(session, Rep(org_id=org_id, link_nonce=new_nonce(), **data.model_dump()))


def import_csv(
    session: Session, *, org_id: int, data: bytes, progress: Callable[[int], None] | None = None
) -> tuple[list[Rep], int]:
    """Create the file's reps; rows whose external id exists update that rep. (reps, created).

    `progress(n)`, when given, is called once per row with the rows done so far.
    """
    rows = parse_reps_csv(data)
    known = repository.by_external_ids(
        session, org_id=org_id, external_ids=[row.external_id for row in rows if row.external_id]
    )
    reps, created = [], 0
    for row in rows:
        rep = known.get(row.external_id) if row.external_id else None
        if rep is None:
            rep = create(session, org_id=org_id, data=row)
            if row.external_id:
                known[row.external_id] = rep
            created += 1
        else:
            _apply(rep, row.model_dump(exclude={"external_id"}))
        reps.append(rep)
        if progress is not None:
            progress(len(reps))
    session.flush()
    return reps, created


def import_result(runtime: Runtime, reps: list[Rep], created: int) -> ImportResult:
    return ImportResult(
        created=created, updated=len(reps) - created, reps=[to_read(runtime, rep) for rep in reps]
    )


def update(session: Session, rep: Rep, data: RepUpdate) -> Rep:
    changes = data.model_dump(exclude_unset=True)
    if (
        changes.get("external_id")
        and changes["external_id"] != rep.external_id
        and repository.by_external_ids(
            session, org_id=rep.org_id, external_ids=[changes["external_id"]]
        )
    ):
        raise Conflict(
            f"a rep with external id {changes['external_id']!r} exists", code="external_id_taken"
        )
    _apply(rep, changes)
    session.flush()
    return rep


def rotate_link(session: Session, rep: Rep) -> Rep:
    """A new personal link; every earlier one stops working."""
    rep.link_nonce = new_nonce()
    session.flush()
    return rep


def _apply(rep: Rep, changes: dict[str, object]) -> None:
    for name, value in changes.items():
        if value is not None or name in {"external_id", "timezone"}:  # None clears these
            setattr(rep, name, value)
