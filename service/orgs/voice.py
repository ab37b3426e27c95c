"""A brand's voice for text copies: the organisation's default, which a post may override
(service.posts.voice.post_voice).

frame_lines: off (no added lines) / closer (one closing line; the default) / after_first
(an opener after the first line, never above it) / free (the engine's full range).
particles: none / light (at most one per copy; the default) / normal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from service.models import Organisation

FrameLines = Literal["off", "closer", "after_first", "free"]
Particles = Literal["none", "light", "normal"]
FRAME_LINES: tuple[FrameLines, ...] = ("off", "closer", "after_first", "free")
PARTICLES: tuple[Particles, ...] = ("none", "light", "normal")
DEFAULT_FRAME_LINES: FrameLines = "closer"
DEFAULT_PARTICLES: Particles = "light"

FRAME_LINE_LABELS = {
    "off": "不加（只改写正文）",
    "closer": "结尾加一句（默认）",
    "after_first": "第一行之后加一句开场",
    "free": "不限（可能改动第一行）",
}
PARTICLE_LABELS = {"none": "不加语气词", "light": "最多一个（默认）", "normal": "正常"}


@dataclass(frozen=True)
class Voice:
    frame_lines: FrameLines = DEFAULT_FRAME_LINES
    particles: Particles = DEFAULT_PARTICLES


def org_voice(org: Organisation | None) -> Voice:
    if org is None:
        return Voice()
    return Voice(
        frame_lines=as_frame_lines(org.voice_frame_lines),
        particles=as_particles(org.voice_particles),
    )


def as_frame_lines(value: str) -> FrameLines:
    return next((v for v in FRAME_LINES if v == value), DEFAULT_FRAME_LINES)


def as_particles(value: str) -> Particles:
    return next((v for v in PARTICLES if v == value), DEFAULT_PARTICLES)
