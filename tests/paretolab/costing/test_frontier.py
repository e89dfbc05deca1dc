"""The Pareto frontier and its marginal costs on crafted points."""

import math

from paretolab.costing.frontier import higher_is_better, is_fraction, marginal_costs, pareto_front

COST = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, math.nan]
ACC = [0.60, 0.70, 0.65, 0.68, 0.80, 0.80, 0.99]


def test_frontier_keeps_only_undominated_points_cheapest_first() -> None:
    # 2 loses to 1 (same cost, worse); 3 to 1 (dearer, worse); 5 to 4 (dearer, same); NaN never.
    assert pareto_front(COST, ACC) == [0, 1, 4]


def test_frontier_of_a_loss_minimises() -> None:
    loss = [2.0, 1.5, 1.6, 1.55, 1.0, 1.2, 0.1]
    assert pareto_front(COST, loss, higher_better=False) == [0, 1, 4]


def test_marginal_cost_of_each_step() -> None:
    steps = marginal_costs(COST, ACC, pareto_front(COST, ACC))
    assert [(s.start, s.end) for s in steps] == [(0, 1), (1, 4)]
    assert math.isclose(steps[0].cost_per_unit, 1.0 / 0.10)  # $1 for +10 points
    assert math.isclose(steps[1].cost_per_unit, 2.0 / 0.10)
    loss_steps = marginal_costs(COST, [2.0, 1.5, 0, 0, 1.0, 0, 0], [0, 1, 4], higher_better=False)
    assert math.isclose(loss_steps[0].quality_gain, 0.5)


def test_single_and_empty_frontiers() -> None:
    assert pareto_front([3.0], [0.5]) == [0]
    assert marginal_costs([3.0], [0.5], [0]) == []
    assert pareto_front([], []) == []


def test_metric_directions() -> None:
    assert higher_is_better("val_acc") and higher_is_better("test_bleu")
    assert not higher_is_better("val_loss") and not higher_is_better("fold0/test_ppl")
    assert is_fraction("test_f1") and not is_fraction("test_bleu")
