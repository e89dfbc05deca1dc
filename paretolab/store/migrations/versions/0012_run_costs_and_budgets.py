"""Spend and budgets: a run_costs row per run (its bill, or its burn rate while it runs) and
a budgets table.

The rows of existing runs are filled from their recorded cost/* metrics and their configs'
hardware, by the same code that keeps them current (paretolab.store.run_costs).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_costs",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("hardware", sa.String(100), nullable=False),
        sa.Column("usd", sa.Float),
        sa.Column("device_hours", sa.Float),
        sa.Column("energy_kwh", sa.Float),
        sa.Column("energy_measured", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("usd_per_hour", sa.Float),
        sa.Column("device_hours_per_hour", sa.Float),
        sa.Column("kw", sa.Float),
        sa.Column("over_budget", sa.Text),
    )
    op.create_table(
        "budgets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.Float),
        sa.Column("ends_at", sa.Float),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_value", sa.String(200)),
        sa.Column("hard", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.String(200)),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    # Imported here, not at the top: alembic loads every revision to walk the history.
    from paretolab.store.run_costs import backfill_run_costs

    backfill_run_costs(op.get_bind())


def downgrade() -> None:
    op.drop_table("budgets")
    op.drop_table("run_costs")
