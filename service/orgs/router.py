"""Staff management API (admins)."""

from __future__ import annotations

from fastapi import APIRouter, status

from service.auth.schemas import StaffRead
from service.deps import RequireAdmin, SessionDep
from service.orgs import repository, service
from service.orgs.schemas import StaffCreate

router = APIRouter(prefix="/api/staff", tags=["staff"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_staff(data: StaffCreate, admin: RequireAdmin, session: SessionDep) -> StaffRead:
    staff = service.create_staff(
        session, org_id=admin.org_id, email=data.email, password=data.password, role=data.role
    )
    return StaffRead(id=staff.id, email=staff.email, role=staff.role, org_id=staff.org_id)


@router.get("")
def list_staff(admin: RequireAdmin, session: SessionDep) -> list[StaffRead]:
    return [
        StaffRead(id=s.id, email=s.email, role=s.role, org_id=s.org_id)
        for s in repository.list_staff(session, org_id=admin.org_id)
    ]
