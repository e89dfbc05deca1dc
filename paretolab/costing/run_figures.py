"""A run's recorded cost figures, from its latest ``cost/*`` metrics, and its burn rate.

The figures are what ``lightning_modules.callbacks.cost_tracking`` logs at the end of fit
(also when a run fails or is cancelled); a cross-validated run has them per fold
(``fold0/cost/usd`` …) and its cost is their sum. Energy: measured parts (NVML's energy
counter or power samples for GPUs, RAPL for the CPU package and DRAM; see
``energy_methods``) win over the TDP × PUE estimate, and the figure says which method made
it (``energy_method``, a code, and ``energy_source``, its label). Both count what the data
centre draws: the measured device energy is multiplied by the same PUE the estimate uses
(its raw figure is ``energy_kwh_measured_device``).

The Business page, the run store's spend table (``paretolab.store.spend``) and the spend
reports all read a run's cost through ``cost_figures``, so they agree to the cent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paretolab.costing import energy_methods as em
from paretolab.costing.catalog import load_catalog
from paretolab.costing.pricing import spend
from paretolab.errors import UserError

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
# paretolab.monitoring.ENERGY_KWH (not imported: monitoring imports the store, which reads this).
MEASURED_ENERGY = em.TOTAL_KEY
# The metrics a run's spend is made of: when one of them is logged, its spend row changes.
SPEND_KEY = re.compile(
    r"^(fold\d+/)?(cost/(usd|device_hours|energy_kwh|co2_kg)|system/energy(_\w+)?_(kwh|share))$"
)


def cost_figures(latest: Mapping[str, Any]) -> dict[str, Any]:
    """A run's cost figures from its latest metrics (``LatestMetric`` by key; folds combined),
    with ``energy_method`` (a code: ``nvml_energy+rapl``, ``tdp_estimate`` …) and
    ``energy_source`` (its label: "measured: RAPL, whole machine (CPU package, DRAM)" …)."""
    out: dict[str, Any] = {}
    for name, items in em.run_level_values(latest).items():
        if name.startswith("cost/"):
            short = name.removeprefix("cost/")
            out[short] = sum(items) if short in ADDITIVE else sum(items) / len(items)
    out |= _energy(out, latest)
    return out


def _energy(out: dict[str, Any], latest: Mapping[str, Any]) -> dict[str, Any]:
    """The energy figures: measured parts × PUE where there are any, plus the estimate's
    share of the GPUs no meter covered; else the TDP × PUE estimate."""
    estimated = out.get("energy_kwh")
    parts = em.measured_parts(latest)
    if not parts:
        method = em.TDP_ESTIMATE if estimated is not None else None
        return {
            "energy_method": method,
            "energy_source": em.ESTIMATE_LABEL if method else None,
            "energy_kwh_measured": 0.0 if method else None,
        }
    defaults = load_catalog().defaults
    intensity = out["co2_kg"] / estimated if estimated and "co2_kg" in out else None
    measured = sum(parts.values())
    share = em.unmeasured_gpu_share(latest)
    unmeasured = share if estimated else 0.0
    label = em.describe_parts(parts, em.other_processes(latest))
    if share and not estimated:  # nothing to stand in for them: say they are missing
        label += f"; {share:.0%} of the run's GPUs unmeasured and left out (no TDP estimate)"
    methods = [method for _, method in parts]
    if unmeasured:  # e.g. RAPL measured the CPU but nothing the GPUs: they stay estimated
        label += f" + {em.ESTIMATE_LABEL} (GPU)"
        methods.append(em.TDP_ESTIMATE)
    kwh = measured * defaults.pue + (estimated or 0.0) * unmeasured
    return {
        "energy_kwh_tdp_estimate": estimated,
        "energy_kwh_measured_device": measured,
        "energy_kwh_measured": measured * defaults.pue,  # the measured part of energy_kwh
        "energy_kwh": kwh,
        "energy_method": em.method_code(methods),
        "energy_source": label,
        "co2_kg": kwh * (intensity if intensity is not None else defaults.carbon_kg_per_kwh),
    }


@dataclass(frozen=True)
class BurnRate:
    """What one hour of a run costs on its hardware: the basis of its spend so far while it
    runs, and of the estimate for a run that stopped before recording its bill."""

    hardware: str
    usd_per_hour: float | None
    device_hours_per_hour: float
    kw: float


def burn_rate(
    hardware: str, devices: int, num_nodes: int = 1, pricing: str = "auto"
) -> BurnRate | None:
    """The hourly burn of ``devices`` × ``num_nodes`` processes on a catalog entry, billed as
    ``CostTracker`` bills (a CPU entry per machine, a GPU entry per device); None for an entry
    the catalog does not know (``auto`` before the run has resolved its device)."""
    try:
        catalog = load_catalog()
        device = catalog.device(hardware)
    except UserError:
        return None
    billed = num_nodes if device.kind == "cpu" else devices * num_nodes
    hour = spend(catalog, hardware, 3600.0, billed, pricing)
    return BurnRate(hardware, hour.cost_usd, hour.device_hours, hour.energy_kwh)


def config_burn_rate(config: Mapping[str, Any]) -> BurnRate | None:
    """``burn_rate`` of a stored run config (its ``hardware`` section)."""
    hw = config.get("hardware") or {}
    return burn_rate(
        str(hw.get("profile", "auto")),
        int(hw.get("devices", 1)),
        int(hw.get("num_nodes", 1)),
        str(hw.get("pricing", "auto")),
    )
