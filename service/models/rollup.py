"""Roll-ups the dashboard reads instead of raw page views, rebuilt per post from its page
views (`rollup.refresh_post`): per viewer, per rep, per (rep, viewer), per section.

Why: a post with 100,000 page views costs seconds to aggregate on every page load (JSON
sections, per-viewer sums, first views for the tree); the roll-up holds the same facts in
narrow rows, and the tree's counts ready-made. Rebuilt, never incremented, so a replayed
beacon cannot skew it.

Only the post and the viewer are foreign keys (deleting either deletes the rows: an erased
viewer leaves nothing behind); organisation and rep ids are copied from page views that
already reference them, and checking them again would cost a lookup per row per rebuild.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models._base import Base, UTCDateTime


def _post() -> Mapped[int]:
    return mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)


class PostViewer(Base):
    """One viewer of one post: totals, how they found it, and whom they brought."""

    __tablename__ = "dash_post_viewers"
    __table_args__ = (Index("ix_dash_post_viewers_post_id_downstream", "post_id", "downstream"),)

    post_id: Mapped[int] = _post()
    viewer_id: Mapped[int] = mapped_column(
        ForeignKey("viewers.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int]
    views: Mapped[int]
    read_ms: Mapped[int] = mapped_column(BigInteger)  # COALESCE(engaged_ms, visible_ms) summed
    deepest: Mapped[int]  # highest scroll percent
    # Their first view: through which rep's link, and who sent it (None: the rep's own
    # link, or someone who never opened this post).
    rep_id: Mapped[int]
    parent_viewer_id: Mapped[int | None]
    direct: Mapped[int]  # viewers whose first view came through this viewer's link
    downstream: Mapped[int]  # everyone below them in the re-share tree


class PostRep(Base):
    """One rep's links on one post."""

    __tablename__ = "dash_post_reps"

    post_id: Mapped[int] = _post()
    rep_id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int]
    views: Mapped[int]
    viewers: Mapped[int]
    read_ms: Mapped[int] = mapped_column(BigInteger)
    median_ms: Mapped[float | None]  # over this rep's viewers' read time on the post
    reach: Mapped[int]  # viewers whose first view came through this rep's links
    roots: Mapped[int]  # of them, straight from the rep's own link


class PostRead(Base):
    """One viewer through one rep's links: what a team filter needs."""

    __tablename__ = "dash_post_reads"

    post_id: Mapped[int] = _post()
    rep_id: Mapped[int] = mapped_column(primary_key=True)
    viewer_id: Mapped[int] = mapped_column(
        ForeignKey("viewers.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int]
    views: Mapped[int]
    read_ms: Mapped[int] = mapped_column(BigInteger)


class PostSection(Base):
    """Milliseconds read per page section ("copy", "s1", ...) of one post, all viewers."""

    __tablename__ = "dash_post_sections"

    post_id: Mapped[int] = _post()
    section: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[int]
    ms: Mapped[int] = mapped_column(BigInteger)


class PostRollup(Base):
    """When a post's roll-up was last rebuilt, and from which page views: their count and
    beacon total change with every new view and every folded beacon, which is how the
    periodic job finds stale posts without trusting event clocks."""

    __tablename__ = "dash_post_rollups"

    post_id: Mapped[int] = _post()
    org_id: Mapped[int] = mapped_column(index=True)
    views: Mapped[int]
    beacons: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


ROLLUP_MODELS = (PostViewer, PostRep, PostRead, PostSection)
