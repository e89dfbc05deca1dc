"""What runs cost, as the cost views need it: figures, assumptions, what-if projections.

A run's figures are its ``cost/*`` metrics (``lightning_modules.callbacks.cost_tracking``); a
cross-validated run has them per fold (``fold0/cost/usd`` …) and its cost is their sum.
Energy: a measured ``system/energy_kwh`` (NVML, when the GPU reports power) wins over the
TDP × PUE estimate, and the figure says which it is. Both count what the data centre
draws: the measured device energy is multiplied by the same PUE the estimate uses (its
raw figure is ``energy_kwh_measured_device``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from dashboard.services.artifact_files import artifact_path
from dashboard.services.common import store
from dashboard.services.run_detail import artifacts
from paretolab import monitoring
from paretolab.baselines import split_key, split_label
from paretolab.config.io import parse_config
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import default_precision
from paretolab.costing.pricing import project
from paretolab.errors import ConfigError, UserError
from paretolab.store import FINISHED, LatestMetric

# Figures that add up over the folds of a cross-validated run; the rest are averaged.
ADDITIVE = (
    "flops_estimated",
    "flops_measured",
    "flops_6nd",
    "tokens",
    "tokens_real",
    "samples",
    "wall_seconds",
    "train_seconds",
    "device_hours",
    "usd",
    "energy_kwh",
    "co2_kg",
)
MEASURED_ENERGY = monitoring.ENERGY_KWH
_FOLD_KEY = re.compile(r"^fold\d+/(.+)$")
MEASURED, ESTIMATED = "measured (NVML power × PUE)", "estimate (TDP × PUE)"


def cost_figures(latest: dict[str, LatestMetric]) -> dict[str, Any]:
    """A run's cost figures from its latest metrics (folds combined), with ``energy_source``."""
    values: dict[str, list[float]] = {}
    for key, metric in latest.items():
        match = _FOLD_KEY.match(key)
        name = match.group(1) if match else key
        if match and key.removeprefix(key.split("/")[0] + "/") in latest:
            continue  # a run-level figure exists: use it, not the folds'
        values.setdefault(name, []).append(metric.value)
    out: dict[str, Any] = {}
    for name, items in values.items():
        if name.startswith("cost/"):
            short = name.removeprefix("cost/")
            out[short] = sum(items) if short in ADDITIVE else sum(items) / len(items)
    out["energy_source"] = ESTIMATED if "energy_kwh" in out else None
    if MEASURED_ENERGY in values:
        estimated = out.get("energy_kwh")
        intensity = out["co2_kg"] / estimated if estimated and "co2_kg" in out else None
        defaults = load_catalog().defaults
        out["energy_kwh_tdp_estimate"] = estimated
        out["energy_kwh_measured_device"] = sum(values[MEASURED_ENERGY])
        out["energy_kwh"] = out["energy_kwh_measured_device"] * defaults.pue
        out["energy_source"] = MEASURED
        if intensity is None:
            intensity = defaults.carbon_kg_per_kwh
        out["co2_kg"] = out["energy_kwh"] * intensity
    return out


def run_cost(run_id: int) -> dict[str, Any]:
    """One run's figures and the assumptions behind them (``cost.json``; {} if absent)."""
    figures = cost_figures(store().latest_metrics(run_id))
    # The run's own cost.json, or a cross-validated run's first fold's.
    recorded = sorted(a.path for a in artifacts(run_id) if a.kind == "cost")
    try:
        doc = json.loads(artifact_path(run_id, recorded[0]).read_text(encoding="utf-8"))
    except (IndexError, UserError, ValueError, OSError):
        doc = {}
    return {"figures": figures, "assumptions": doc.get("assumptions", {})}


def what_if(run_id: int, mfu: float, devices: int, pricing: str = "auto") -> pd.DataFrame:
    """The run's FLOPs on every catalog entry at ``mfu`` on ``devices`` devices.

    Each entry runs at its best precision (bf16 mixed where it has it).
    """
    flops = cost_figures(store().latest_metrics(run_id)).get("flops_estimated")
    if not flops:
        return pd.DataFrame()
    catalog = load_catalog()
    rows = []
    for key, device in catalog.devices.items():
        precision = default_precision(device)
        p = project(catalog, flops, key, devices, mfu, precision, pricing)
        rows.append(
            {
                "hardware": key,
                "device": device.name,
                "precision": precision,
                "hours": p.spend.wall_seconds / 3600,
                "device_hours": p.spend.device_hours,
                "usd": p.spend.cost_usd,
                "energy_kwh": p.spend.energy_kwh,
                "co2_kg": p.spend.co2_kg,
                "price": p.spend.price_quote,
            }
        )
    return pd.DataFrame(rows)


def costs_frame(limit: int = 2000) -> pd.DataFrame:
    """Finished runs with their cost figures, every val_/test_ metric, model size and split.

    One row per run; ``split_key`` groups runs that saw the same examples.
    """
    s = store()
    runs = s.list_runs([FINISHED], limit=limit, archived=False)
    latest = s.latest_metrics_of([r.id for r in runs])
    rows = []
    for run in runs:
        metrics = latest.get(run.id, {})
        try:
            config = parse_config(run.config)
        except ConfigError:  # a run from an older schema: skip rather than fail the page
            continue
        quality = {k: m.value for k, m in metrics.items() if k.startswith(("val_", "test_"))}
        rows.append(
            {
                "id": run.id,
                "name": run.name,
                "task": run.task,
                "family": config.model.family,
                "dataset": config.data.dataset,
                "split_key": split_key(config),
                "split": split_label(config),
                "d_model": config.model.d_model,
                "n_layers": config.model.n_layers,
                **cost_figures(metrics),
                **quality,
            }
        )
    return pd.DataFrame(rows)
