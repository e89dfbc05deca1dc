"""Keeping each run's ``run_costs`` row current: its burn rate from launch, its bill once it
records one.

- At ``create_run``: the hardware and hourly rates its config names (none for ``auto``).
- When the training process knows its device: ``set_burn_rate`` (``CostTracker``).
- When the run logs a spend metric (``cost/usd`` … or measured ``system/energy_*_kwh``):
  its recorded figures and the method of its energy figure (``energy_method``), read with ``paretolab.costing.run_figures.cost_figures`` — the
  reading the Business page uses, so spend and per-run costs agree to the cent.

Every function takes the caller's connection, so each change is part of its transaction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from paretolab.costing.energy_methods import TDP_ESTIMATE
from paretolab.costing.run_figures import (
    SPEND_KEY,
    BurnRate,
    config_burn_rate,
    cost_figures,
)
from paretolab.store.entities import LatestMetric, from_db_float
from paretolab.store.schema import latest_metrics, run_costs, runs


def _insert(conn: sa.Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _rate_values(rate: BurnRate | None) -> dict[str, Any]:
    if rate is None:
        return {"usd_per_hour": None, "device_hours_per_hour": None, "kw": None}
    return {
        "hardware": rate.hardware,
        "usd_per_hour": rate.usd_per_hour,
        "device_hours_per_hour": rate.device_hours_per_hour,
        "kw": rate.kw,
    }


def add_run_cost(
    conn: sa.Connection, run_id: int, config: Mapping[str, Any], over_budget: str | None = None
) -> None:
    """The new run's row: the hardware its config names, that hardware's rates, and the
    confirmation it was launched with past a budget."""
    hardware = str((config.get("hardware") or {}).get("profile", "auto"))
    values = {"hardware": hardware, **_rate_values(config_burn_rate(config))}
    values["over_budget"] = over_budget
    stmt = _insert(conn)(run_costs).values(run_id=run_id, **values)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["run_id"]))


def set_burn_rate(conn: sa.Connection, run_id: int, rate: BurnRate) -> None:
    """The hardware the run's process resolved, and its hourly rates."""
    stmt = _insert(conn)(run_costs).values(run_id=run_id, **_rate_values(rate))
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_id"], set_={k: stmt.excluded[k] for k in _rate_values(rate)}
        )
    )


def logs_spend(keys: Any) -> bool:
    """Whether metrics with these keys change a run's recorded spend."""
    return any(SPEND_KEY.match(key) for key in keys)


def refresh_recorded(conn: sa.Connection, run_id: int, with_method: bool = True) -> None:
    """Re-read the run's recorded bill from its latest spend metrics (``with_method``
    False: leave out ``energy_method`` and ``energy_kwh_measured``, for a database before
    migration 0015)."""
    query = sa.select(latest_metrics).where(
        latest_metrics.c.run_id == run_id,
        sa.or_(latest_metrics.c.key.like("%cost/%"), latest_metrics.c.key.like("%system/energy%")),
    )
    latest = {
        r.key: LatestMetric(r.key, r.step, from_db_float(r.value), r.wall_time)
        for r in conn.execute(query)
        if SPEND_KEY.match(r.key)
    }
    figures = cost_figures(latest)
    values = {
        "usd": _finite(figures.get("usd")),
        "device_hours": _finite(figures.get("device_hours")),
        "energy_kwh": _finite(figures.get("energy_kwh")),
        "energy_measured": figures.get("energy_method") not in (None, TDP_ESTIMATE),
    }
    if with_method:
        values["energy_method"] = figures.get("energy_method")
        values["energy_kwh_measured"] = _finite(figures.get("energy_kwh_measured"))
    stmt = _insert(conn)(run_costs).values(run_id=run_id, hardware="auto", **values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_id"], set_={k: stmt.excluded[k] for k in values}
        )
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def backfill_run_costs(conn: sa.Connection) -> None:
    """A row for every run that has none (migration 0012): rates from its config, its bill
    from its metrics."""
    missing = sa.select(runs.c.id, runs.c.config).where(
        ~sa.exists().where(run_costs.c.run_id == runs.c.id)
    )
    # Run by migration 0012, before 0015 adds energy_method (which then fills it).
    with_method = "energy_method" in {c["name"] for c in sa.inspect(conn).get_columns("run_costs")}
    for run_id, config in conn.execute(missing).all():
        add_run_cost(conn, run_id, config or {})
        refresh_recorded(conn, run_id, with_method)
