"""The cost-vs-quality Pareto frontier and what each step along it costs. No torch.

A run is on the frontier when no other run is at least as cheap and at least as good, and
strictly better in one of the two. Walking the frontier from the cheapest run, each step
buys quality for money: its marginal cost is Δcost ÷ Δquality.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Metrics where lower is better; every other metric (accuracy, F1, BLEU, R²…) is maximised.
_LOWER_IS_BETTER = ("loss", "ppl", "bpc", "mae", "rmse", "mse")
# Metrics that are shares in [0, 1]: "+1 point" means +0.01 of them.
_FRACTIONS = ("acc", "f1", "precision", "recall", "exact_match", "r2")


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` (e.g. ``val_acc``, ``test_loss``) is better."""
    name = metric.rsplit("/", 1)[-1]
    return not any(name.endswith(suffix) for suffix in _LOWER_IS_BETTER)


def is_fraction(metric: str) -> bool:
    """Whether ``metric`` is a share in [0, 1] (accuracy, F1, …)."""
    name = metric.rsplit("/", 1)[-1]
    return any(name.endswith(suffix) for suffix in _FRACTIONS)


def pareto_front(
    costs: Sequence[float], qualities: Sequence[float], higher_better: bool = True
) -> list[int]:
    """Indices of the non-dominated points, cheapest first. NaN points are never on it.

    Among points of equal cost only the best survives; equal points keep the first.
    """
    sign = 1.0 if higher_better else -1.0
    valid = [
        i
        for i, (c, q) in enumerate(zip(costs, qualities, strict=True))
        if math.isfinite(c) and math.isfinite(q)
    ]
    # Cheapest first; at equal cost the best first, so it shadows the others.
    order = sorted(valid, key=lambda i: (costs[i], -sign * qualities[i], i))
    front: list[int] = []
    best = -math.inf
    for i in order:
        q = sign * qualities[i]
        if q > best:
            front.append(i)
            best = q
    return front


@dataclass(frozen=True)
class FrontierStep:
    """One step along the frontier: from run ``start`` to the better, dearer run ``end``."""

    start: int
    end: int
    extra_cost: float
    quality_gain: float
    """Improvement in the metric's better direction (always > 0)."""

    @property
    def cost_per_unit(self) -> float:
        """Extra cost per unit of quality gained."""
        return self.extra_cost / self.quality_gain


def marginal_costs(
    costs: Sequence[float],
    qualities: Sequence[float],
    front: Sequence[int],
    higher_better: bool = True,
) -> list[FrontierStep]:
    """The steps between consecutive frontier points (``front`` from ``pareto_front``)."""
    sign = 1.0 if higher_better else -1.0
    return [
        FrontierStep(a, b, costs[b] - costs[a], sign * (qualities[b] - qualities[a]))
        for a, b in zip(front, front[1:], strict=False)
    ]
