"""The stakeholder view: the cost-vs-quality frontier, classical baselines, assumptions.

Pages pass plain choices (a split, a metric, a cost axis) and get frames and dicts back;
the arithmetic lives in ``paretolab.costing``. Scaling and serving: ``projections``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.services.access import require
from dashboard.services.common import run_config_job, store
from paretolab.baselines import load_baseline, split_key
from paretolab.config.io import parse_config
from paretolab.costing.catalog import load_catalog
from paretolab.costing.frontier import higher_is_better, is_fraction, marginal_costs, pareto_front
from paretolab.number_format import format_count, format_usd

# Cost axes the frontier can use: column of the costs frame → label.
COST_AXES = {
    "usd": "training cost ($)",
    "flops_estimated": "training FLOPs",
    "device_hours": "device-hours",
    "energy_kwh": "energy (kWh)",
}


def splits(frame: pd.DataFrame) -> dict[str, str]:
    """The data splits the runs were trained on, most runs first: ``{key: label (n runs)}``."""
    if frame.empty:
        return {}
    counts = frame.groupby(["split_key", "split"]).size().sort_values(ascending=False)
    return {key: f"{label} ({n} runs)" for (key, label), n in counts.items()}


def quality_metrics(frame: pd.DataFrame) -> list[str]:
    """Metrics the runs of a split share, test first, then validation."""
    keys = [c for c in frame.columns if c.startswith(("test_", "val_")) and frame[c].notna().any()]
    return sorted(keys, key=lambda k: (not k.startswith("test_"), k))


def fittable_metrics(metrics: list[str]) -> list[str]:
    """Metrics a scaling fit can use: losses, and shares (fitted as 1 − share)."""
    return [m for m in metrics if not higher_is_better(m) or is_fraction(m)]


def runs_beating(values: pd.Series, metric: str, reference: float) -> int:
    """How many of ``values`` are better than ``reference`` for ``metric``."""
    return int(
        (values > reference).sum() if higher_is_better(metric) else (values < reference).sum()
    )


def frontier(frame: pd.DataFrame, cost: str, metric: str) -> dict[str, Any]:
    """The Pareto frontier of ``metric`` against ``cost`` over the runs in ``frame``.

    Returns:
        ``points`` (the runs with both figures, ``on_frontier`` marked), ``steps`` (one row
        per step along the frontier with its marginal cost) and the metric's direction.
    """
    if cost not in frame or metric not in frame:
        return {"points": pd.DataFrame(), "steps": pd.DataFrame(), "higher_is_better": True}
    points = frame.dropna(subset=[cost, metric]).reset_index(drop=True)
    better_high = higher_is_better(metric)
    costs, quality = points[cost].tolist(), points[metric].tolist()
    front = pareto_front(costs, quality, better_high)
    points["on_frontier"] = points.index.isin(front)
    unit, label = (0.01, "point") if is_fraction(metric) else (0.01, "0.01")
    steps = [
        {
            "from": points.at[s.start, "name"],
            "to": points.at[s.end, "name"],
            "extra_cost": s.extra_cost,
            "gain": s.quality_gain,
            f"cost_per_{'point' if label == 'point' else 'hundredth'}": s.cost_per_unit * unit,
            "sentence": f"{points.at[s.start, 'name']} → {points.at[s.end, 'name']}: "
            + _step_sentence(
                s.quality_gain, s.extra_cost, s.cost_per_unit * unit, metric, cost, label
            ),
        }
        for s in marginal_costs(costs, quality, front, better_high)
    ]
    return {"points": points, "steps": pd.DataFrame(steps), "higher_is_better": better_high}


def _step_sentence(
    gain: float, extra: float, per_unit: float, metric: str, cost: str, label: str
) -> str:
    sign = "+" if higher_is_better(metric) else "−"
    if label == "point":
        what = f"{sign}1 point of {metric}"
        total = f"{sign}{gain * 100:.1f} points"
    else:
        what = f"{sign}0.01 {metric}"
        total = f"{sign}{gain:.3g}"
    return (
        f"{total} for {format_cost(extra, cost)} more: {what} costs {format_cost(per_unit, cost)}"
    )


def format_cost(value: float, cost: str) -> str:
    """A cost figure in its unit: ``$0.0012``, ``3.1 PFLOPs``, ``0.02 device-hours``."""
    if cost == "usd":
        return format_usd(value)
    if cost == "flops_estimated":
        return format_count(value, "FLOPs")
    if cost == "device_hours":
        return f"{value:.3g} device-hours"
    return f"{value:.3g} kWh"


def baseline(key: str) -> dict[str, Any] | None:
    """The stored classical baseline of a split, if one was trained."""
    return load_baseline(key)


def train_baseline(run_id: int, timeout: float = 900) -> dict[str, Any]:
    """Train the classical baseline on the split of run ``run_id`` (in its own process) and
    store it with the split.

    Raises:
        UserError: the task has no baseline, training failed or took too long.
        DemoModeError: the dashboard is a read-only demo.
        AccessDenied: the signed-in user may not train (a viewer).
    """
    require("train a baseline")
    config = parse_config(store().get_run(run_id).config)
    return run_config_job("lightning_modules.baseline", config, "baseline", timeout)


def hardware_choices() -> dict[str, str]:
    """Catalog entries as ``{key: name}``, yours first."""
    return {key: d.name for key, d in load_catalog().devices.items()}


def assumptions() -> pd.DataFrame:
    """Every price, power and carbon figure in use, with its date and source."""
    catalog = load_catalog()
    rows = [
        {
            "what": f"{d.name}: {p.kind.replace('_', '-')} price",
            "value": f"${p.usd_per_hour:g}/device-hour",
            "where": p.provider,
            "date": p.date,
            "source": p.source,
        }
        for d in catalog.devices.values()
        for p in d.prices
    ]
    defaults = catalog.defaults
    rows.append(
        {
            "what": "PUE",
            "value": f"{defaults.pue:g}",
            "where": "data centre overhead",
            "date": defaults.date,
            "source": defaults.pue_source,
        }
    )
    grid = defaults.grids[defaults.grid]
    rows.append(
        {
            "what": "grid carbon intensity",
            "value": f"{grid.kg_co2e_per_kwh:g} kg CO2e/kWh",
            "where": defaults.grid,
            "date": defaults.date,
            "source": grid.source,
        }
    )
    return pd.DataFrame(rows)


def split_of_run(run_id: int) -> str:
    """The split key of a run."""
    return split_key(parse_config(store().get_run(run_id).config))
