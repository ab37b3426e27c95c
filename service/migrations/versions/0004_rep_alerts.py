"""rep alerts

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rep_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_rep_alerts_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], name=op.f("fk_rep_alerts_rep_id_reps")),
        sa.ForeignKeyConstraint(
            ["viewer_id"],
            ["viewers.id"],
            name=op.f("fk_rep_alerts_viewer_id_viewers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rep_alerts")),
        sa.UniqueConstraint("viewer_id", "tag", name=op.f("uq_rep_alerts_viewer_id_tag")),
    )
    with op.batch_alter_table("rep_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rep_alerts_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_rep_alerts_pending", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rep_alerts_rep_id"), ["rep_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rep_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rep_alerts_rep_id"))
        batch_op.drop_index("ix_rep_alerts_pending")
        batch_op.drop_index(batch_op.f("ix_rep_alerts_org_id"))

    op.drop_table("rep_alerts")
