"""The rep of a staff route, and the rep behind a personal link (/r/{token})."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service import logs, routing
from service.db import unit_of_work
from service.deps import CurrentStaff, RuntimeDep, SessionDep
from service.errors import Forbidden, Gone, NotFound
from service.models import Rep
from service.reps import service
from service.runtime import Runtime
from service.security import TokenError


def get_rep(rep_id: int, staff: CurrentStaff, session: SessionDep) -> Rep:
    rep = service.get(session, org_id=staff.org_id, rep_id=rep_id)
    if rep is None:
        raise NotFound(f"no rep {rep_id}", code="rep_not_found")
    return rep


RepDep = Annotated[Rep, Depends(get_rep)]


def get_rep_from_token(token: str, runtime: RuntimeDep, session: SessionDep) -> Rep:
    """The active rep a personal link belongs to; old (rotated) links are 410."""
    try:
        link = runtime.signer.read_rep_token(token)
    except TokenError as exc:
        raise NotFound(str(exc), code="rep_link_unknown") from None
    rep = service.get(session, org_id=link.org_id, rep_id=link.rep_id)
    if rep is None:
        raise NotFound("this personal link is not valid", code="rep_link_unknown")
    if rep.link_nonce != link.nonce:
        raise Gone("this personal link was replaced; ask for the new one", code="rep_link_revoked")
    if not rep.active:
        raise Forbidden("this rep has been deactivated", code="rep_deactivated")
    logs.bind(org_id=rep.org_id)
    return rep


RepFromToken = Annotated[Rep, Depends(get_rep_from_token)]


def _check_rep_link(request: Request, runtime: Runtime) -> object:
    with unit_of_work(runtime.sessions) as session:
        return get_rep_from_token(str(request.path_params.get("token", "")), runtime, session)


# A route behind a personal link refuses an unknown link before its body is read.
routing.register_check(get_rep_from_token, _check_rep_link)
