"""Migration 0012: existing runs get their run_costs rows (bill and rates) on upgrade."""

import time

import pytest

from paretolab.costing.run_figures import config_burn_rate
from paretolab.store import RunStore, database
from paretolab.store.schema import latest_metrics, runs


def test_upgrade_fills_run_costs_from_old_runs(any_store: RunStore) -> None:
    database.downgrade(any_store.engine, "0011")
    config = {"hardware": {"profile": "a100-80gb", "devices": 2}}
    now = time.time()
    with any_store.engine.begin() as conn:
        ids = [
            conn.execute(
                runs.insert()
                .values(name="r", status=status, task="x", config=config, created_at=now)
                .values(tags=[], notes="", started_at=now - 3600, heartbeat_at=now)
                .returning(runs.c.id)
            ).scalar_one()
            for status in ("finished", "failed")
        ]
        conn.execute(
            latest_metrics.insert(),
            [
                dict(run_id=ids[0], key=f"cost/{k}", step=5, value=v, wall_time=now)
                for k, v in (("usd", 12.5), ("device_hours", 2.0), ("energy_kwh", 1.5))
            ],
        )
    database.upgrade(any_store.engine)
    rows = {r["group"]: r for r in any_store.spend(by="hardware", now=now)}
    assert rows["a100-80gb"]["runs"] == 2
    rate = config_burn_rate(config)
    # The finished run's bill; the failed one (no bill) at its rate for the hour it held.
    assert rows["a100-80gb"]["usd"] == pytest.approx(12.5 + rate.usd_per_hour)
    assert rows["a100-80gb"]["usd_waste"] == pytest.approx(rate.usd_per_hour)
    assert rows["a100-80gb"]["runs_estimated"] == 1
