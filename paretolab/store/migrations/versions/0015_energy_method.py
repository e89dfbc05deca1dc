"""Energy by method: each run's energy figure says how it was obtained.

``run_costs.energy_method`` holds a code (``nvml_energy``, ``nvml_power``, ``rapl``,
``tdp_estimate``, or measured parts joined by ``+``; see
``paretolab.costing.energy_methods``). Before it, only NVML power samples were measured, so
existing rows read ``nvml_power`` where measured and ``tdp_estimate`` where a bill holds an
estimated figure. ``run_costs.energy_kwh_measured`` holds the measured part of
``energy_kwh`` (measured device energy × PUE): a figure that adds the estimate for GPUs no
meter covered (``rapl+tdp_estimate``) is not all measured. Before it, a measured figure was
all NVML power samples: old rows get their whole figure where measured, else 0.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_costs") as batch:
        batch.add_column(sa.Column("energy_method", sa.String(64)))
        batch.add_column(sa.Column("energy_kwh_measured", sa.Float))
    run_costs = sa.table(
        "run_costs",
        sa.column("energy_kwh", sa.Float),
        sa.column("energy_measured", sa.Boolean),
        sa.column("energy_method", sa.String),
        sa.column("energy_kwh_measured", sa.Float),
    )
    measured = run_costs.c.energy_measured
    op.execute(
        run_costs.update()
        .where(run_costs.c.energy_kwh.is_not(None))
        .values(
            energy_method=sa.case((measured, "nvml_power"), else_="tdp_estimate"),
            energy_kwh_measured=sa.case((measured, run_costs.c.energy_kwh), else_=0.0),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("run_costs") as batch:
        batch.drop_column("energy_kwh_measured")
        batch.drop_column("energy_method")
