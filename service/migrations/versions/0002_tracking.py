"""read tracking: viewers, page views, tag rules, viewer tags

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tag_rules",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_tag_rules_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_tag_rules")),
    )
    op.create_table(
        "viewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("cookie_id", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("first_rep_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("engaged_ms", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_rep_id"], ["reps.id"], name=op.f("fk_viewers_first_rep_id_reps")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_viewers_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewers")),
        sa.UniqueConstraint("org_id", "cookie_id", name=op.f("uq_viewers_org_id_cookie_id")),
    )
    op.create_index(op.f("ix_viewers_first_rep_id"), "viewers", ["first_rep_id"], unique=False)
    op.create_index(op.f("ix_viewers_org_id"), "viewers", ["org_id"], unique=False)
    op.create_index("ix_viewers_org_id_openid", "viewers", ["org_id", "openid"], unique=False)
    op.create_table(
        "page_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("parent_viewer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ip_hash", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("beacons", sa.Integer(), nullable=False),
        sa.Column("visible_ms", sa.Integer(), nullable=False),
        sa.Column("engaged_ms", sa.Integer(), nullable=True),
        sa.Column("max_scroll", sa.Integer(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_page_views_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["parent_viewer_id"],
            ["viewers.id"],
            name=op.f("fk_page_views_parent_viewer_id_viewers"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_page_views_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], name=op.f("fk_page_views_rep_id_reps")),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["viewers.id"], name=op.f("fk_page_views_viewer_id_viewers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_views")),
    )
    op.create_index(
        "ix_page_views_org_id_post_id", "page_views", ["org_id", "post_id"], unique=False
    )
    op.create_index(op.f("ix_page_views_rep_id"), "page_views", ["rep_id"], unique=False)
    op.create_index(op.f("ix_page_views_viewer_id"), "page_views", ["viewer_id"], unique=False)
    op.create_table(
        "viewer_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_viewer_tags_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"],
            ["viewers.id"],
            name=op.f("fk_viewer_tags_viewer_id_viewers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewer_tags")),
        sa.UniqueConstraint("viewer_id", "tag", name=op.f("uq_viewer_tags_viewer_id_tag")),
    )
    op.create_index(op.f("ix_viewer_tags_org_id"), "viewer_tags", ["org_id"], unique=False)
    op.create_index(op.f("ix_viewer_tags_tag"), "viewer_tags", ["tag"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_viewer_tags_tag"), table_name="viewer_tags")
    op.drop_index(op.f("ix_viewer_tags_org_id"), table_name="viewer_tags")
    op.drop_table("viewer_tags")
    op.drop_index(op.f("ix_page_views_viewer_id"), table_name="page_views")
    op.drop_index(op.f("ix_page_views_rep_id"), table_name="page_views")
    op.drop_index("ix_page_views_org_id_post_id", table_name="page_views")
    op.drop_table("page_views")
    op.drop_index("ix_viewers_org_id_openid", table_name="viewers")
    op.drop_index(op.f("ix_viewers_org_id"), table_name="viewers")
    op.drop_index(op.f("ix_viewers_first_rep_id"), table_name="viewers")
    op.drop_table("viewers")
    op.drop_table("tag_rules")
