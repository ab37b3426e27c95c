"""A published post planned for the rep of a personal link."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service.deps import SessionDep
from service.errors import NotFound
from service.models import Post
from service.plans import service
from service.posts import service as posts_service
from service.reps.deps import RepFromToken


def get_rep_post(post_id: int, rep: RepFromToken, session: SessionDep) -> Post:
    """A published post planned for this rep, the one check of every /r/{token}/posts/{id}
    route: drafts, other teams' posts and other organisations' posts are all the same 404."""
    post = posts_service.get(session, org_id=rep.org_id, post_id=post_id)
    if post is None or post.published_at is None or not service.targets(session, post, rep):
        raise NotFound(
            f"no published post {post_id} for this rep",
            code="post_not_found",
            message="找不到这条素材，可能尚未发布。",
        )
    return post


RepPost = Annotated[Post, Depends(get_rep_post)]
