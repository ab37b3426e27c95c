"""Staff management API (admins)."""

from __future__ import annotations

from fastapi import APIRouter, status

from service.auth.schemas import StaffRead
from service.deps import CurrentStaff, RequireAdmin, RuntimeDep, SessionDep
from service.errors import NotFound
from service.models import Organisation
from service.orgs import channels, repository, service
from service.orgs.schemas import (
    OrgVoice,
    OrgVoiceUpdate,
    ReminderChannels,
    ReminderChannelsUpdate,
    StaffCreate,
)

router = APIRouter(prefix="/api/staff", tags=["staff"])
org_router = APIRouter(prefix="/api/org", tags=["organisation"])


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


def _own_org(admin: RequireAdmin, session: SessionDep) -> Organisation:
    org = repository.get_org(session, org_id=admin.org_id)
    if org is None:
        raise NotFound("the organisation is gone", code="not_found")
    return org


@org_router.get("/reminder-channels")
def reminder_channels(admin: RequireAdmin, session: SessionDep) -> ReminderChannels:
    """This brand's WeCom robot and webhook for reminders (empty: the install's are used)."""
    return channels.read(_own_org(admin, session))


@org_router.put("/reminder-channels")
def set_reminder_channels(
    data: ReminderChannelsUpdate, admin: RequireAdmin, session: SessionDep, runtime: RuntimeDep
) -> ReminderChannels:
    return channels.update(session, runtime.settings, _own_org(admin, session), data)


@org_router.get("/voice")
def voice(staff: CurrentStaff, session: SessionDep) -> OrgVoice:
    """The brand voice posts use unless they set their own."""
    org = repository.get_org(session, org_id=staff.org_id)
    if org is None:
        raise NotFound("the organisation is gone", code="not_found")
    return service.read_voice(org)


@org_router.put("/voice")
def set_voice(data: OrgVoiceUpdate, admin: RequireAdmin, session: SessionDep) -> OrgVoice:
    return service.update_voice(session, _own_org(admin, session), data)
