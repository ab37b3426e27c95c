"""The post of a staff route ("load or 404" in one place)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service.deps import CurrentStaff, SessionDep
from service.errors import NotFound
from service.models import Post
from service.posts import service


def get_post(post_id: int, staff: CurrentStaff, session: SessionDep) -> Post:
    """The post in the caller's organisation; any other id is 404, whoever owns it."""
    post = service.get(session, org_id=staff.org_id, post_id=post_id)
    if post is None:
        raise NotFound(f"no post {post_id}", code="post_not_found")
    return post


PostDep = Annotated[Post, Depends(get_post)]
