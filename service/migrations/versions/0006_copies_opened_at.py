"""copies opened at

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("copies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
    # Until now a copy was made when its rep first opened it, except for pre-generated ones
    # (since 0003); creation time is the best guess there is.
    op.execute("UPDATE copies SET opened_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("copies", schema=None) as batch_op:
        batch_op.drop_column("opened_at")
