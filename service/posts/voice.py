"""A post's own voice: its choices where it made them, its organisation's elsewhere."""

from __future__ import annotations

from service.models import Organisation, Post
from service.orgs.voice import Voice, as_frame_lines, as_particles, org_voice


def post_voice(post: Post, org: Organisation | None) -> Voice:
    """The post's own choices where it made them, the organisation's elsewhere."""
    default = org_voice(org)
    return Voice(
        frame_lines=as_frame_lines(post.voice_frame_lines or default.frame_lines),
        particles=as_particles(post.voice_particles or default.particles),
    )
