"""Reading uploaded files with a size limit, before anything else looks at them."""

from __future__ import annotations

from fastapi import UploadFile

from service.errors import PayloadTooLarge


def read_limited(upload: UploadFile, limit: int, *, what: str) -> bytes:
    """The whole file, or PayloadTooLarge naming `what` when it exceeds `limit` bytes."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(
            f"{what} is larger than {limit // (1024 * 1024)} MB", code="file_too_large"
        )
    return data
