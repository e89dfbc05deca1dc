"""Chart previews: each metric's series downsampled to ~2,000 points, kept up to date on write.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_previews",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("n_points", sa.BigInteger, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("wall_times", sa.LargeBinary, nullable=False),
    )
    # Existing histories get their previews on the next write, or when first read.


def downgrade() -> None:
    op.drop_table("metric_previews")
