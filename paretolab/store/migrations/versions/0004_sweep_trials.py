"""Sweep trials: a run's study and trial number, and the terminal status ``pruned``.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("study", sa.String(200)))
        batch.add_column(sa.Column("trial_number", sa.Integer))
        batch.create_index("ix_runs_study", ["study"])


def downgrade() -> None:
    # An older paretolab knows no `pruned` status: those runs stopped early, as failed ones did.
    op.execute(
        "UPDATE runs SET status = 'failed', error = 'pruned by its sweep' WHERE status = 'pruned'"
    )
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_study")
        batch.drop_column("trial_number")
        batch.drop_column("study")
