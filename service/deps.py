"""Dependencies as `Annotated` aliases: a route's signature says who may call it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from service import logs
from service.auth import service as auth_service
from service.db import unit_of_work
from service.errors import Forbidden, Gone, NotFound, Unauthorized
from service.models import Post, Rep, Role, Staff, StaffSession
from service.models.tracking import Viewer
from service.plans import service as plans_service
from service.posts import repository as posts_repository
from service.reps import repository as reps_repository
from service.runtime import Runtime
from service.security import TokenError
from service.tracking import viewers as tracking_viewers

SESSION_COOKIE = "mc_session"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with unit_of_work(runtime.sessions) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is a 500, not a lie.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def session_token(request: Request) -> str | None:
    """Bearer header for API clients; the login cookie for pages and safe (GET) API calls."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.method in {"GET", "HEAD"} or request.url.path.startswith("/admin"):
        return request.cookies.get(SESSION_COOKIE)
    return None


def get_current_staff(request: Request, runtime: RuntimeDep, session: SessionDep) -> Staff:
    """The staff member of a live session (the login row is kept on `request.state.login`)."""
    token = session_token(request)
    if not token:
        raise Unauthorized(
            "log in first: send 'Authorization: Bearer <token>'", message="请先登录。"
        )
    ttl = auth_service.lifetime(runtime.settings)
    staff, request.state.login = auth_service.resolve(session, runtime.signer, token, ttl=ttl)
    logs.bind(org_id=staff.org_id)
    return staff


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]


def get_current_login(request: Request, staff: CurrentStaff) -> StaffSession:
    login: StaffSession = request.state.login
    return login


CurrentLogin = Annotated[StaffSession, Depends(get_current_login)]


def require_editor(staff: CurrentStaff) -> Staff:
    if staff.role not in {Role.ADMIN, Role.EDITOR}:
        raise Forbidden("only editors and admins may change posts")
    return staff


def require_admin(staff: CurrentStaff) -> Staff:
    if staff.role != Role.ADMIN:
        raise Forbidden("only admins may manage reps and staff")
    return staff


RequireEditor = Annotated[Staff, Depends(require_editor)]
RequireAdmin = Annotated[Staff, Depends(require_admin)]


def get_post(post_id: int, staff: CurrentStaff, session: SessionDep) -> Post:
    """The post in the caller's organisation; any other id is 404, whoever owns it."""
    post = posts_repository.get(session, org_id=staff.org_id, post_id=post_id)
    if post is None:
        raise NotFound(f"no post {post_id}", code="post_not_found")
    return post


PostDep = Annotated[Post, Depends(get_post)]


def get_rep(rep_id: int, staff: CurrentStaff, session: SessionDep) -> Rep:
    rep = reps_repository.get(session, org_id=staff.org_id, rep_id=rep_id)
    if rep is None:
        raise NotFound(f"no rep {rep_id}", code="rep_not_found")
    return rep


RepDep = Annotated[Rep, Depends(get_rep)]


def get_viewer(viewer_id: int, staff: CurrentStaff, session: SessionDep) -> Viewer:
    """The viewer in the caller's organisation; any other id is 404, whoever it belongs to."""
    return tracking_viewers.get(session, org_id=staff.org_id, viewer_id=viewer_id)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
# The viewer list's filters: one definition for the API, the dashboard's pages and segments.
ViewerSearch = Annotated[
    str, Query(max_length=100, description="a label a rep gave, or a viewer's number (#123)")
]
ViewerTags = Annotated[
    list[str], Query(alias="tag", max_length=10, description="tags all present; repeat `tag`")
]
SeenDays = Annotated[int | None, Query(description="seen in the last N days (1-3660)")]


def get_rep_from_token(token: str, runtime: RuntimeDep, session: SessionDep) -> Rep:
    """The active rep a personal link belongs to; old (rotated) links are 410."""
    try:
        link = runtime.signer.read_rep_token(token)
    except TokenError as exc:
        raise NotFound(str(exc), code="rep_link_unknown") from None
    rep = reps_repository.get(session, org_id=link.org_id, rep_id=link.rep_id)
    if rep is None:
        raise NotFound("this personal link is not valid", code="rep_link_unknown")
    if rep.link_nonce != link.nonce:
        raise Gone("this personal link was replaced; ask for the new one", code="rep_link_revoked")
    if not rep.active:
        raise Forbidden("this rep has been deactivated", code="rep_deactivated")
    logs.bind(org_id=rep.org_id)
    return rep


RepFromToken = Annotated[Rep, Depends(get_rep_from_token)]


def get_rep_post(post_id: int, rep: RepFromToken, session: SessionDep) -> Post:
    """A published post planned for this rep, the one check of every /r/{token}/posts/{id}
    route: drafts, other teams' posts and other organisations' posts are all the same 404."""
    post = posts_repository.get(session, org_id=rep.org_id, post_id=post_id)
    if post is None or post.published_at is None or not plans_service.targets(session, post, rep):
        raise NotFound(
            f"no published post {post_id} for this rep",
            code="post_not_found",
            message="找不到这条素材，可能尚未发布。",
        )
    return post


RepPost = Annotated[Post, Depends(get_rep_post)]
