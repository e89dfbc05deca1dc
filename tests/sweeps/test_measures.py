"""A trial's training cost and best values."""

import math

from paretolab.store import LatestMetric
from sweeps.measures import best_value, steps_trained, training_cost


def test_training_cost_is_the_cost_models_flops_or_steps_times_params() -> None:
    latest = {"cost/flops_estimated": LatestMetric("cost/flops_estimated", 9, 1.5e9, 0.0)}
    assert training_cost(latest, params=1000, steps=9) == 1.5e9
    assert training_cost({}, params=1000, steps=9) == 9000.0  # a run the cost model missed


def test_best_values_and_steps() -> None:
    assert best_value([0.5, math.nan, 0.7, 0.6], "maximize") == 0.7
    assert best_value([0.5, 0.7], "minimize") == 0.5
    assert math.isnan(best_value([math.nan], "maximize"))
    latest = {
        "trainer/total_steps": LatestMetric("trainer/total_steps", 0, 500.0, 0.0),
        "val_acc": LatestMetric("val_acc", 120, 0.9, 0.0),
        "train_loss": LatestMetric("train_loss", 110, 0.2, 0.0),
    }
    assert steps_trained(latest) == 120
