"""Copies API: staff read any rep's copy (a rep's personal link reads only that rep's:
service/rephome/router.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from service.copies import http, service
from service.copies.schemas import CopyRead
from service.deps import RuntimeDep, SessionDep
from service.posts.deps import PostDep
from service.reps.deps import RepDep
from service.routing import CredentialsFirst

router = APIRouter(tags=["copies"], route_class=CredentialsFirst)


@router.get("/api/posts/{post_id}/copies/{rep_id}")
def staff_copy(post: PostDep, rep: RepDep, session: SessionDep, runtime: RuntimeDep) -> CopyRead:
    copy = service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    return http.with_share_url(
        runtime, service.to_read(post, copy, service.staff_image_url), org_id=post.org_id
    )


@router.get("/api/posts/{post_id}/copies/{rep_id}/images/{position}", response_class=Response)
def staff_copy_image(
    post: PostDep, rep: RepDep, position: int, session: SessionDep, runtime: RuntimeDep
) -> Response:
    copy = service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    return http.image_response(runtime, service.image_key(copy, position))
