"""Copies API: staff read any rep's copy; a rep's personal link reads only that rep's."""

from __future__ import annotations

import io
import zipfile

from fastapi import APIRouter, Request, Response

from service.copies import http, service
from service.copies.schemas import CopyRead, PostedRead
from service.deps import RuntimeDep, SessionDep
from service.plans.deps import RepPost
from service.posts.deps import PostDep
from service.reps.deps import RepDep, RepFromToken
from service.routing import CredentialsFirst
from service.web import redirect, wants_html

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


@router.get("/r/{token}/posts/{post_id}.json")
def rep_copy(
    token: str, rep: RepFromToken, post: RepPost, session: SessionDep, runtime: RuntimeDep
) -> CopyRead:
    copy = service.mark_opened(
        session, service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    )
    return http.with_share_url(
        runtime, service.to_read(post, copy, http.rep_image_url(token)), org_id=post.org_id
    )


@router.post("/r/{token}/posts/{post_id}/posted", response_model=PostedRead)
def rep_posted(
    request: Request,
    token: str,
    rep: RepFromToken,
    post: RepPost,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PostedRead | Response:
    """'我已发布': idempotent; the first press's time is kept. A plain form gets the page back."""
    copy = service.mark_posted(
        session, service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    )
    assert copy.posted_at is not None
    if wants_html(request):
        return redirect(f"/r/{token}#post-{post.id}")
    return PostedRead(post_id=post.id, rep_id=rep.id, posted_at=copy.posted_at)


@router.get("/r/{token}/posts/{post_id}/images/{position}", response_class=Response)
def rep_image(
    position: int, rep: RepFromToken, post: RepPost, session: SessionDep, runtime: RuntimeDep
) -> Response:
    copy = service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    return http.image_response(runtime, service.image_key(copy, position))


@router.get("/r/{token}/posts/{post_id}/images.zip", response_class=Response)
def rep_images_zip(
    rep: RepFromToken, post: RepPost, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Every image of the rep's copy in one download (for browsers that allow downloads)."""
    copy = service.ensure_copy(session, runtime.storage, post=post, rep=rep)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for image in copy.images:
            suffix = image.storage_key[image.storage_key.rfind(".") :]
            archive.writestr(
                f"{post.id}-{image.position + 1}{suffix}", runtime.storage.get(image.storage_key)
            )
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="momentcast-{post.id}.zip"'},
    )
