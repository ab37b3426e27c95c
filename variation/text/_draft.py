"""The copy being built, shared by the transform modules."""

from __future__ import annotations

from dataclasses import dataclass

from variation.text._pieces import Piece
from variation.text._script import Script, to_script
from variation.text._types import Edit


@dataclass(slots=True)
class Draft:
    """The copy being built: its pieces, the edits so far, and lines it added."""

    pieces: list[Piece]
    edits: list[Edit]
    script: Script
    added_lines: int = 0

    def new(self, text: str, kind: str = "word") -> Piece:
        return Piece(text, to_script(text, self.script), kind)

    def length(self) -> int:
        return sum(len(p.orig) for p in self.pieces)
