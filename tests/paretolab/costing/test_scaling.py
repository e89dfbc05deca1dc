"""Power-law fits recover known exponents; projections carry their uncertainty."""

import numpy as np
import pytest

from paretolab.costing.scaling import (
    chinchilla_context,
    chinchilla_loss,
    compute_for_target,
    fit_power_law,
    prediction_band,
)
from paretolab.errors import UserError

COMPUTE = np.logspace(14, 18, 8)


def test_fit_recovers_a_known_exponent_and_floor() -> None:
    loss = 40.0 * COMPUTE**-0.1 + 1.5
    fit = fit_power_law(COMPUTE, loss)
    assert fit.has_floor
    assert fit.b == pytest.approx(0.1, rel=0.02)
    assert fit.c == pytest.approx(1.5, rel=0.02)
    assert np.allclose(fit.predict(COMPUTE), loss, rtol=1e-3)


def test_fit_without_floor_recovers_the_exponent_from_noisy_runs() -> None:
    rng = np.random.default_rng(1)
    loss = 30.0 * COMPUTE[:4] ** -0.08 * np.exp(rng.normal(0, 0.01, 4))
    fit = fit_power_law(COMPUTE[:4], loss)  # four runs: no floor
    assert not fit.has_floor
    assert fit.b == pytest.approx(0.08, abs=0.01)


def test_compute_for_a_target_with_its_interval() -> None:
    rng = np.random.default_rng(0)
    loss = 40.0 * COMPUTE**-0.1 + 1.5
    fit = fit_power_law(COMPUTE, loss * np.exp(rng.normal(0, 0.002, len(loss))))
    target = 40.0 * 1e19**-0.1 + 1.5  # the truth: 1e19 FLOPs, ten times the largest run
    answer = compute_for_target(fit, target)
    assert answer.flops == pytest.approx(1e19, rel=0.5)
    assert answer.flops_low <= answer.flops <= answer.flops_high
    assert 0.5 < answer.reachable_share <= 1.0
    below_floor = compute_for_target(fit, 1.0)  # under the floor: never reached
    assert below_floor.flops is None and below_floor.reachable_share < 0.2
    low, high = prediction_band(fit, COMPUTE)
    assert np.all(low <= high)


def test_too_few_runs_is_a_user_error() -> None:
    with pytest.raises(UserError, match="at least 3 runs"):
        fit_power_law([1e15, 1e16], [3.0, 2.0])
    with pytest.raises(UserError, match="same compute"):
        fit_power_law([1e15] * 3, [3.0, 2.9, 2.8])


def test_chinchilla_context() -> None:
    ctx = chinchilla_context(1e9, 20.2e9)  # their Table 3: 1B params ↔ 20.2B tokens
    assert ctx.verdict == "near compute-optimal"
    assert ctx.compute_optimal_params == pytest.approx(1e9, rel=0.01)
    assert chinchilla_context(1e9, 2e9).verdict.startswith("under-trained")
    assert chinchilla_context(1e6, 1e9).verdict.startswith("over-trained")
    assert chinchilla_loss(1e9, 20e9) == pytest.approx(
        1.69 + 406.4 / 1e9**0.34 + 410.7 / 20e9**0.28
    )
