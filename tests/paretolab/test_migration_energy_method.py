"""Migration 0015: each run's energy figure gets its method; old measured figures came from
NVML power samples, old unmeasured ones from the TDP estimate."""

import time

import sqlalchemy as sa

from paretolab.store import RunStore, database
from paretolab.store.schema import run_costs, runs


def _run(conn: sa.Connection, now: float) -> int:
    return conn.execute(
        runs.insert()
        .values(name="r", status="finished", task="x", config={}, created_at=now)
        .values(tags=[], notes="", started_at=now - 60)
        .returning(runs.c.id)
    ).scalar_one()


def test_upgrade_names_the_method_of_every_recorded_energy(any_store: RunStore) -> None:
    database.downgrade(any_store.engine, "0014")
    now = time.time()
    old_costs = sa.table(
        "run_costs",
        sa.column("run_id"),
        sa.column("hardware"),
        sa.column("energy_kwh"),
        sa.column("energy_measured"),
    )
    with any_store.engine.begin() as conn:
        measured, estimated, none = (_run(conn, now) for _ in range(3))
        conn.execute(
            old_costs.insert(),
            [
                dict(run_id=measured, hardware="a100-80gb", energy_kwh=2.0, energy_measured=True),
                dict(run_id=estimated, hardware="cpu", energy_kwh=0.1, energy_measured=False),
                dict(run_id=none, hardware="auto", energy_kwh=None, energy_measured=False),
            ],
        )
    database.upgrade(any_store.engine)
    with any_store.engine.connect() as conn:
        query = sa.select(run_costs.c.run_id, run_costs.c.energy_method)
        methods = dict(conn.execute(query).all())
        query = sa.select(run_costs.c.run_id, run_costs.c.energy_kwh_measured)
        measured_kwh = dict(conn.execute(query).all())
    assert methods == {measured: "nvml_power", estimated: "tdp_estimate", none: None}
    assert measured_kwh == {measured: 2.0, estimated: 0.0, none: None}


def test_a_new_run_records_its_method_with_its_metrics(any_store: RunStore) -> None:
    run = any_store.create_run({}, "r", "x", [])
    any_store.log_metrics(
        run.id, [("cost/energy_kwh", 5, 0.2, 1.0), ("system/energy_cpu_rapl_kwh", 5, 0.1, 1.0)]
    )
    with any_store.engine.connect() as conn:
        row = conn.execute(sa.select(run_costs).where(run_costs.c.run_id == run.id)).one()
    assert row.energy_method == "rapl" and row.energy_measured
    assert row.energy_kwh > 0.1  # device energy × PUE


def test_a_partly_estimated_figure_counts_only_its_measured_part(any_store: RunStore) -> None:
    """RAPL measured the CPU, no meter the GPU (its estimate stays): Spend's "measured" is
    the RAPL part × PUE, not the whole figure."""
    import pytest

    from paretolab.costing.catalog import load_catalog
    from paretolab.store.spend import spend_rows

    run = any_store.create_run({}, "r", "x", [])
    any_store.log_metrics(
        run.id,
        [
            ("cost/energy_kwh", 5, 1.0, 1.0),
            ("system/energy_cpu_rapl_kwh", 5, 0.1, 1.0),
            ("system/energy_gpu_unmeasured_share", 5, 1.0, 1.0),
        ],
    )
    pue = load_catalog().defaults.pue
    with any_store.engine.connect() as conn:
        row = conn.execute(sa.select(run_costs).where(run_costs.c.run_id == run.id)).one()
        [spent] = spend_rows(conn)
    assert row.energy_method == "rapl+tdp_estimate"
    assert row.energy_kwh == pytest.approx(0.1 * pue + 1.0)
    assert row.energy_kwh_measured == pytest.approx(0.1 * pue)
    assert spent["energy_kwh_measured"] == pytest.approx(0.1 * pue)
