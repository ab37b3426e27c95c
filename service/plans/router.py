"""Publish-plan API: publish with a window, follow generation and posting, a rep's history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from service.access import PostEditor
from service.copies.schemas import PreviewRead
from service.deps import CurrentStaff, RuntimeDep, SessionDep
from service.errors import NotFound
from service.plans import preview as preview_service
from service.plans import service
from service.plans.schemas import PlanRead, PublishRequest, RepHistoryItem
from service.posts import service as posts_service
from service.posts.deps import PostDep
from service.posts.schemas import PostRead
from service.reps.deps import RepDep
from service.routing import CredentialsFirst

router = APIRouter(tags=["plans"], route_class=CredentialsFirst)


@router.post("/api/posts/{post_id}/publish")
def publish_post(
    post: PostDep,
    editor: PostEditor,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Annotated[PublishRequest | None, Body()] = None,
) -> PostRead:
    """Publish with a window (default: now to now + 2 h); publishing again changes nothing."""
    service.publish(session, runtime.settings, post, request)
    return posts_service.to_read(post)


@router.get("/api/posts/{post_id}/plan")
def plan(post: PostDep, staff: CurrentStaff, session: SessionDep) -> PlanRead:
    found = service.read(session, post)
    if found is None:
        raise NotFound(f"post {post.id} is not published", code="not_published")
    return found


@router.get("/api/reps/{rep_id}/history")
def rep_history(rep: RepDep, session: SessionDep) -> list[RepHistoryItem]:
    """Every planned post of the rep: suggested slot, reminder, when they posted."""
    return service.rep_history(session, rep)


@router.get("/api/posts/{post_id}/preview")
def preview(post: PostDep, session: SessionDep, runtime: RuntimeDep, reps: int = 3) -> PreviewRead:
    """The master next to the copies of the first few active reps (generated if needed)."""
    return preview_service.read(session, runtime, post, reps=max(1, min(reps, 6)))
