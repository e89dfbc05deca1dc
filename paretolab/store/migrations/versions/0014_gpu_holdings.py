"""The GPU queue: which GPUs each run (or sweep worker) holds, and why a queued run waits.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("queue_reason", sa.Text))
    op.create_table(
        "gpu_holdings",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("gpu_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE")),
        sa.Column("pid", sa.Integer),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False),
    )
    op.create_index("ix_gpu_holdings_run_id", "gpu_holdings", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_gpu_holdings_run_id", table_name="gpu_holdings")
    op.drop_table("gpu_holdings")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("queue_reason")
