"""Idempotent launches, cancel requests an executor can act on, archived runs.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("launch_key", sa.String(64)))
        batch.add_column(sa.Column("cancel_requested_at", sa.Float))
        batch.add_column(
            sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.create_index("ux_runs_launch_key", ["launch_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ux_runs_launch_key")
        batch.drop_column("archived")
        batch.drop_column("cancel_requested_at")
        batch.drop_column("launch_key")
