"""organisation reminder channels

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (("wecom_robot_url", 500), ("webhook_url", 500), ("webhook_secret", 200))


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.String(length), nullable=False, server_default="")
            )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
