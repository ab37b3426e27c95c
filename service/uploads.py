"""Reading what a client uploads (files with a size limit) before anything else looks at it.
Text fields are checked by service.text."""

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
