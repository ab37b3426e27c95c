"""The sample posts in samples/posts/, with the product names the editor protects."""

from __future__ import annotations

import json
from pathlib import Path

POSTS = Path(__file__).resolve().parents[2] / "samples" / "posts"
_TERMS: dict[str, list[str]] = json.loads((POSTS / "terms.json").read_text(encoding="utf-8"))
SAMPLE_POSTS = {p.name: p for p in sorted(POSTS.glob("*.txt"))}


def sample_post(name: str) -> tuple[str, tuple[str, ...]]:
    """(master text, protected terms) of one sample post."""
    return SAMPLE_POSTS[name].read_text(encoding="utf-8").strip("\n"), tuple(_TERMS.get(name, ()))
