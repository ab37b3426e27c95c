"""Simplified/traditional Chinese: detect the master's script and convert between them.

The engine works on a simplified view (the lexicon is simplified) and writes additions back
in the master's script, so a traditional post stays traditional.
"""

from __future__ import annotations

import functools
from typing import Literal

import opencc

Script = Literal["simplified", "traditional"]

_T2S = opencc.OpenCC("t2s")
# Taiwan forms (為, 裡) rather than the older standard ones (爲, 裏) s2t gives.
_S2T = opencc.OpenCC("s2tw")


@functools.lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    return str(_T2S.convert(text))


@functools.lru_cache(maxsize=65536)
def to_traditional(text: str) -> str:
    return str(_S2T.convert(text))


def to_script(text: str, script: Script) -> str:
    return to_traditional(text) if script == "traditional" else text


def detect_script(text: str) -> Script:
    """Traditional when converting to simplified changes more characters than the reverse."""
    to_simp = sum(a != b for a, b in zip(text, to_simplified(text), strict=False))
    to_trad = sum(a != b for a, b in zip(text, to_traditional(text), strict=False))
    return "traditional" if to_simp > to_trad else "simplified"


def is_in_script(text: str, script: Script) -> bool:
    """True when `text` reads as `script` (characters shared by both scripts always do)."""
    if script == "traditional":
        return to_traditional(text) == text
    return to_simplified(text) == text
