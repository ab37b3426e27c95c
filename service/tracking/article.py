"""A post's article (Markdown) cut into the sections the tracker times separately."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False})  # raw HTML is never passed on
_HEADING = re.compile(r"^#{1,3}\s+(.*\S)\s*$")
PARAGRAPHS_PER_SECTION = 3  # for articles without headings


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str


def split_sections(markdown: str | None) -> list[Section]:
    """Sections at each level-1..3 heading; an article without headings is cut every few
    paragraphs, so long reads still show where the reader lingered."""
    if not markdown or not markdown.strip():
        return []
    chunks: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in markdown.splitlines():
        fenced ^= line.lstrip().startswith("```")
        match = None if fenced else _HEADING.match(line)
        if match:
            chunks.append((match.group(1), [line]))
        else:
            chunks[-1][1].append(line)
    chunks = [(title, lines) for title, lines in chunks if "".join(lines).strip()]
    if len(chunks) == 1 and not chunks[0][0]:
        chunks = _by_paragraphs(chunks[0][1])
    return [
        Section(id=f"s{number}", title=title, html=_md.render("\n".join(lines)))
        for number, (title, lines) in enumerate(chunks, start=1)
    ]


def _by_paragraphs(lines: list[str]) -> list[tuple[str, list[str]]]:
    paragraphs = [p for p in "\n".join(lines).split("\n\n") if p.strip()]
    return [
        ("", "\n\n".join(paragraphs[i : i + PARAGRAPHS_PER_SECTION]).splitlines())
        for i in range(0, len(paragraphs), PARAGRAPHS_PER_SECTION)
    ]
