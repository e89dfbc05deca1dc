"""What runs cost, as the cost views need it: figures, assumptions, what-if projections.

A run's figures are its ``cost/*`` metrics, combined by ``paretolab.costing.run_figures``
(folds summed, measured energy preferred), the same reading the spend figures use.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from dashboard.services.artifact_files import artifact_path
from dashboard.services.common import store
from dashboard.services.run_detail import artifacts
from paretolab.baselines import split_key, split_label
from paretolab.config.io import parse_config
from paretolab.costing import energy_methods as em
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import default_precision
from paretolab.costing.pricing import project
from paretolab.costing.run_figures import cost_figures
from paretolab.errors import ConfigError, UserError
from paretolab.store import FINISHED


def run_cost(run_id: int) -> dict[str, Any]:
    """One run's figures, the assumptions behind them (``cost.json``; {} if absent) and
    its measured energy by part (``energy_parts``: rows of part, method, kWh at the device)."""
    latest = store().latest_metrics(run_id)
    figures = cost_figures(latest)
    parts = [
        {"part": em.PART_NAMES[part], "method": em.METHOD_NAMES[method], "kwh": kwh}
        for (part, method), kwh in sorted(em.measured_parts(latest).items())
    ]
    # The run's own cost.json, or a cross-validated run's first fold's.
    recorded = sorted(a.path for a in artifacts(run_id) if a.kind == "cost")
    try:
        doc = json.loads(artifact_path(run_id, recorded[0]).read_text(encoding="utf-8"))
    except (IndexError, UserError, ValueError, OSError):
        doc = {}
    return {"figures": figures, "assumptions": doc.get("assumptions", {}), "energy_parts": parts}


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
                "energy_method": em.ESTIMATE_LABEL,
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
