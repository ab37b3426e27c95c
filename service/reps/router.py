"""Rep administration API (admins)."""

from __future__ import annotations

from fastapi import APIRouter, UploadFile, status

from service.access import RepManager
from service.deps import RuntimeDep, SessionDep
from service.reps import service
from service.reps.deps import RepDep
from service.reps.schemas import ImportResult, RepCreate, RepRead, RepUpdate
from service.routing import CredentialsFirst
from service.uploads import read_limited

router = APIRouter(prefix="/api/reps", tags=["reps"], route_class=CredentialsFirst)
MAX_CSV_BYTES = 5 * 1024 * 1024


@router.post("", status_code=status.HTTP_201_CREATED)
def create_rep(
    data: RepCreate, admin: RepManager, session: SessionDep, runtime: RuntimeDep
) -> RepRead:
    return service.to_read(runtime, service.create(session, org_id=admin.org_id, data=data))


@router.post("/import")
def import_reps(
    file: UploadFile, admin: RepManager, session: SessionDep, runtime: RuntimeDep
) -> ImportResult:
    """CSV with a header row: name, team (or store), phone, external_id."""
    data = read_limited(file, MAX_CSV_BYTES, what="the CSV file")
    reps, created = service.import_csv(session, org_id=admin.org_id, data=data)
    return service.import_result(runtime, reps, created)


@router.get("")
def list_reps(admin: RepManager, session: SessionDep, runtime: RuntimeDep) -> list[RepRead]:
    return [service.to_read(runtime, rep) for rep in service.list_(session, org_id=admin.org_id)]


@router.get("/{rep_id}")
def get_rep(rep: RepDep, admin: RepManager, runtime: RuntimeDep) -> RepRead:
    return service.to_read(runtime, rep)


@router.patch("/{rep_id}")
def update_rep(
    rep: RepDep, data: RepUpdate, admin: RepManager, session: SessionDep, runtime: RuntimeDep
) -> RepRead:
    return service.to_read(runtime, service.update(session, rep, data))


@router.post("/{rep_id}/rotate-link")
def rotate_link(
    rep: RepDep, admin: RepManager, session: SessionDep, runtime: RuntimeDep
) -> RepRead:
    return service.to_read(runtime, service.rotate_link(session, rep))
