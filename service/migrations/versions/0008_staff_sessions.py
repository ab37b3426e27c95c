"""staff sessions (revocable logins), staff deactivation, staff e-mail unique per organisation

Revision ID: 0008
Revises: 0007

Tokens issued before this revision carry no session id and stop working: staff log in once
more after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_staff_sessions_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_sessions_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
    )
    op.create_index(op.f("ix_staff_sessions_org_id"), "staff_sessions", ["org_id"])
    op.create_index(op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"])
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.drop_constraint(op.f("uq_staff_email"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_staff_org_id_email"), ["org_id", "email"])
        batch_op.create_index(op.f("ix_staff_email"), ["email"])


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_staff_email"))
        batch_op.drop_constraint(op.f("uq_staff_org_id_email"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_staff_email"), ["email"])
        batch_op.drop_column("active")
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_index(op.f("ix_staff_sessions_org_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
