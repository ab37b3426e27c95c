"""What the rep's page does with a copy: read it, say it was posted, fetch its images."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.copies.http import image_response
from service.copies.schemas import CopyRead, PostedRead
from service.deps import RuntimeDep, SessionDep
from service.plans.deps import RepPost
from service.rephome import service
from service.reps.deps import RepFromToken
from service.routing import CredentialsFirst
from service.web import redirect, wants_html

router = APIRouter(tags=["copies"], route_class=CredentialsFirst)


@router.get("/r/{token}/posts/{post_id}.json")
def rep_copy(
    token: str, rep: RepFromToken, post: RepPost, session: SessionDep, runtime: RuntimeDep
) -> CopyRead:
    return service.opened_copy(session, runtime, post=post, rep=rep, token=token)


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
    posted_at = service.mark_posted(session, runtime, post=post, rep=rep)
    if wants_html(request):
        return redirect(f"/r/{token}#post-{post.id}")
    return PostedRead(post_id=post.id, rep_id=rep.id, posted_at=posted_at)


@router.get("/r/{token}/posts/{post_id}/images/{position}", response_class=Response)
def rep_image(
    position: int, rep: RepFromToken, post: RepPost, session: SessionDep, runtime: RuntimeDep
) -> Response:
    key = service.image_key(session, runtime, post=post, rep=rep, position=position)
    return image_response(runtime, key)


@router.get("/r/{token}/posts/{post_id}/images.zip", response_class=Response)
def rep_images_zip(
    rep: RepFromToken, post: RepPost, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Every image of the rep's copy in one download (for browsers that allow downloads)."""
    return Response(
        service.images_zip(session, runtime, post=post, rep=rep),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="momentcast-{post.id}.zip"'},
    )
