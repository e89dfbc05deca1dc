"""What a trial is worth besides its logged metrics: training cost, best metric values.

``training_cost`` is the one place that prices a trial; today it is optimiser steps ×
parameters (a FLOPs proxy: training FLOPs grow with both), until paretolab's cost model
offers a fuller estimate to swap in here.
"""

from __future__ import annotations

import math


def training_cost(params: int, steps: int) -> float:
    """The estimated training cost of a trial: optimiser steps × parameters."""
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
