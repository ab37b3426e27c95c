"""Reading what a client uploads (files with a size limit, form text) before anything else
looks at it."""

from __future__ import annotations

import re

from fastapi import UploadFile

from service.errors import PayloadTooLarge, Unprocessable

# C0 controls except tab and newlines, C1 controls, lone surrogates and noncharacters: none
# belongs in a post or a name; NUL cannot even be stored in PostgreSQL, and C1 controls are
# what a non-UTF-8 form field turns into once Starlette falls back to Latin-1.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def read_limited(upload: UploadFile, limit: int, *, what: str) -> bytes:
    """The whole file, or PayloadTooLarge naming `what` when it exceeds `limit` bytes."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(
            f"{what} is larger than {limit // (1024 * 1024)} MB", code="file_too_large"
        )
    return data


def forbidden_character(text: str) -> str | None:
    """The first character of `text` that no user text may contain, as U+XXXX; else None."""
    found = _FORBIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def check_text(text: str, *, what: str) -> str:
    """`text` itself, or Unprocessable naming `what` and the offending character."""
    bad = forbidden_character(text)
    if bad is not None:
        raise Unprocessable(
            f"{what} contains the control character {bad}; send UTF-8 text without it",
            code="invalid_text",
        )
    return text
