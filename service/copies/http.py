"""What copies' routes answer with over HTTP: image bytes and the copy with its share link."""

from __future__ import annotations

from fastapi import Response

from service.copies.schemas import CopyRead
from service.copies.service import ImageUrl
from service.links import ShareLink, share_url
from service.runtime import Runtime
from service.storage import media_type

IMAGE_HEADERS = {"Cache-Control": "private, max-age=604800, immutable"}


def rep_image_url(token: str) -> ImageUrl:
    return lambda copy, position: f"/r/{token}/posts/{copy.post_id}/images/{position}"


def with_share_url(runtime: Runtime, copy_read: CopyRead, *, org_id: int) -> CopyRead:
    """The copy with the rep's tracked share link (read tracking, service/tracking)."""
    link = ShareLink(org_id, copy_read.post_id, copy_read.rep_id)
    return copy_read.model_copy(update={"share_url": share_url(runtime.settings, link)})


def image_response(runtime: Runtime, key: str) -> Response:
    return Response(runtime.storage.get(key), media_type=media_type(key), headers=IMAGE_HEADERS)
