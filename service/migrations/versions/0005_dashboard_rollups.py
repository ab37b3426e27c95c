"""dashboard roll-ups: per post its viewers, reps, (rep, viewer) reads, sections, refreshes

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers the roll-up models on Base.metadata, so the schema check (models == migrations)
# holds before service/models/__init__.py imports them; delete once it does.

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _post_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["post_id"], ["posts.id"], name=op.f(f"fk_{table}_post_id_posts"), ondelete="CASCADE"
    )


def _viewer_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["viewer_id"],
        ["viewers.id"],
        name=op.f(f"fk_{table}_viewer_id_viewers"),
        ondelete="CASCADE",
    )


def _ints(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "dash_post_reads",
        *_ints("post_id", "rep_id", "viewer_id", "org_id", "views"),
        sa.Column("read_ms", sa.BigInteger(), nullable=False),
        _post_fk("dash_post_reads"),
        _viewer_fk("dash_post_reads"),
        sa.PrimaryKeyConstraint("post_id", "rep_id", "viewer_id", name=op.f("pk_dash_post_reads")),
    )
    op.create_table(
        "dash_post_reps",
        *_ints("post_id", "rep_id", "org_id", "views", "viewers"),
        sa.Column("read_ms", sa.BigInteger(), nullable=False),
        sa.Column("median_ms", sa.Double(), nullable=True),
        *_ints("reach", "roots"),
        _post_fk("dash_post_reps"),
        sa.PrimaryKeyConstraint("post_id", "rep_id", name=op.f("pk_dash_post_reps")),
    )
    op.create_table(
        "dash_post_rollups",
        *_ints("post_id", "org_id", "views"),
        sa.Column("beacons", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        _post_fk("dash_post_rollups"),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_dash_post_rollups")),
    )
    op.create_index(
        op.f("ix_dash_post_rollups_org_id"), "dash_post_rollups", ["org_id"], unique=False
    )
    op.create_table(
        "dash_post_sections",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("ms", sa.BigInteger(), nullable=False),
        _post_fk("dash_post_sections"),
        sa.PrimaryKeyConstraint("post_id", "section", name=op.f("pk_dash_post_sections")),
    )
    op.create_table(
        "dash_post_viewers",
        *_ints("post_id", "viewer_id", "org_id", "views"),
        sa.Column("read_ms", sa.BigInteger(), nullable=False),
        *_ints("deepest", "rep_id"),
        sa.Column("parent_viewer_id", sa.Integer(), nullable=True),
        *_ints("direct", "downstream"),
        _post_fk("dash_post_viewers"),
        _viewer_fk("dash_post_viewers"),
        sa.PrimaryKeyConstraint("post_id", "viewer_id", name=op.f("pk_dash_post_viewers")),
    )
    op.create_index(
        "ix_dash_post_viewers_post_id_downstream",
        "dash_post_viewers",
        ["post_id", "downstream"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_dash_post_viewers_post_id_downstream", table_name="dash_post_viewers")
    op.drop_table("dash_post_viewers")
    op.drop_table("dash_post_sections")
    op.drop_index(op.f("ix_dash_post_rollups_org_id"), table_name="dash_post_rollups")
    op.drop_table("dash_post_rollups")
    op.drop_table("dash_post_reps")
    op.drop_table("dash_post_reads")
