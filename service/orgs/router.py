"""Staff management API (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from service.access import OrgAdmin
from service.auth.schemas import StaffRead, StaffUpdate
from service.deps import CurrentStaff, RuntimeDep, SessionDep
from service.errors import NotFound
from service.models import Organisation, Staff
from service.orgs import channels, service
from service.orgs.schemas import (
    OrgVoice,
    OrgVoiceUpdate,
    ReminderChannels,
    ReminderChannelsUpdate,
    StaffCreate,
)
from service.routing import CredentialsFirst

router = APIRouter(prefix="/api/staff", tags=["staff"], route_class=CredentialsFirst)
org_router = APIRouter(prefix="/api/org", tags=["organisation"], route_class=CredentialsFirst)


def staff_read(staff: Staff) -> StaffRead:
    return StaffRead(
        id=staff.id, email=staff.email, role=staff.role, org_id=staff.org_id, active=staff.active
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_staff(data: StaffCreate, admin: OrgAdmin, session: SessionDep) -> StaffRead:
    staff = service.create_staff(
        session, org_id=admin.org_id, email=data.email, password=data.password, role=data.role
    )
    return staff_read(staff)


@router.get("")
def list_staff(admin: OrgAdmin, session: SessionDep) -> list[StaffRead]:
    return [staff_read(s) for s in service.list_staff(session, org_id=admin.org_id)]


def get_staff_member(staff_id: int, admin: OrgAdmin, session: SessionDep) -> Staff:
    staff = service.get_staff(session, org_id=admin.org_id, staff_id=staff_id)
    if staff is None:
        raise NotFound(f"no staff member {staff_id}", code="staff_not_found")
    return staff


@router.patch("/{staff_id}")
def update_staff(
    data: StaffUpdate,
    admin: OrgAdmin,
    staff: Annotated[Staff, Depends(get_staff_member)],
    session: SessionDep,
) -> StaffRead:
    """Deactivate (or reactivate) a colleague; deactivating ends all their sessions."""
    service.set_active(session, staff, active=data.active, by=admin)
    return staff_read(staff)


def _own_org(admin: OrgAdmin, session: SessionDep) -> Organisation:
    org = service.get_org(session, org_id=admin.org_id)
    if org is None:
        raise NotFound("the organisation is gone", code="not_found")
    return org


@org_router.get("/reminder-channels")
def reminder_channels(admin: OrgAdmin, session: SessionDep) -> ReminderChannels:
    """This brand's WeCom robot and webhook for reminders (empty: the install's are used)."""
    return channels.read(_own_org(admin, session))


@org_router.put("/reminder-channels")
def set_reminder_channels(
    data: ReminderChannelsUpdate, admin: OrgAdmin, session: SessionDep, runtime: RuntimeDep
) -> ReminderChannels:
    return channels.update(session, runtime.settings, _own_org(admin, session), data)


@org_router.get("/voice")
def voice(staff: CurrentStaff, session: SessionDep) -> OrgVoice:
    """The brand voice posts use unless they set their own."""
    org = service.get_org(session, org_id=staff.org_id)
    if org is None:
        raise NotFound("the organisation is gone", code="not_found")
    return service.read_voice(org)


@org_router.put("/voice")
def set_voice(data: OrgVoiceUpdate, admin: OrgAdmin, session: SessionDep) -> OrgVoice:
    return service.update_voice(session, _own_org(admin, session), data)
