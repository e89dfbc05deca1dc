"""What a trial is worth besides its val metrics: training cost, best metric values, steps.

``training_cost`` is the one place that prices a trial: the training FLOPs the cost model
counted for the run (``cost/flops_estimated``, logged by ``CostTracker``), or optimiser
steps × parameters (a FLOPs proxy) for a run without that figure.
"""

from __future__ import annotations

import math
from typing import Any

COST_METRIC = "cost/flops_estimated"


def training_cost(latest: dict[str, Any], params: int, steps: int) -> float:
    """The estimated training cost of a trial's run, from its latest metrics
    (``RunStore.latest_metrics``), its parameter count and its optimiser steps."""
    if COST_METRIC in latest and math.isfinite(latest[COST_METRIC].value):
        return latest[COST_METRIC].value
    return float(params) * float(steps)


def best_value(values: list[float], direction: str) -> float:
    """The best finite value of a metric's history in ``direction`` (NaN if none)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan
    return max(finite) if direction == "maximize" else min(finite)


def steps_trained(latest: dict) -> int:
    """Optimiser steps a run trained, from its latest metrics (``RunStore.latest_metrics``):
    the highest step any of its metrics was logged at (the planned total does not count)."""
    return max((m.step for k, m in latest.items() if not k.startswith("trainer/")), default=0)
