"""brand voice, versioned sentence alternatives, rewrite providers

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voice_frame_lines", sa.String(16), nullable=False, server_default="closer")
        )
        batch_op.add_column(
            sa.Column("voice_particles", sa.String(16), nullable=False, server_default="light")
        )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voice_frame_lines", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("voice_particles", sa.String(16), nullable=True))
        batch_op.add_column(
            sa.Column("text_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("copies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_version", sa.Integer(), nullable=True))
    versions = op.create_table(
        "post_text_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("sentences", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_text_versions_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_post_text_versions_author_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_text_versions")),
        sa.UniqueConstraint(
            "post_id", "version", name=op.f("uq_post_text_versions_post_id_version")
        ),
    )
    # Every existing post gets its version 1: its text as written.
    posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime))
    rows = op.get_bind().execute(sa.select(posts.c.id, posts.c.created_at)).all()
    if rows:
        op.bulk_insert(
            versions,
            [
                {"post_id": pid, "version": 1, "sentences": [], "created_at": created}
                for pid, created in rows
            ],
        )
    op.create_table(
        "rewrite_providers",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=False),
        sa.Column("key_hint", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_rewrite_providers_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_rewrite_providers")),
    )


def downgrade() -> None:
    op.drop_table("rewrite_providers")
    op.drop_table("post_text_versions")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35 has it): a batch would recreate
    # organisations and posts, which their foreign keys refuse once rows reference them.
    for table, column in [
        ("copies", "text_version"),
        ("posts", "text_version"),
        ("posts", "voice_particles"),
        ("posts", "voice_frame_lines"),
        ("organisations", "voice_particles"),
        ("organisations", "voice_frame_lines"),
    ]:
        op.drop_column(table, column)
