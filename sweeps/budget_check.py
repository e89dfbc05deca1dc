"""A sweep against the budgets: its projected cost before it starts, and the check its
workers make between trials.

Projection: n_trials × the cost of one trial at the base config (fixed fields set, each
parameter at the base's value), less the pruner's expected saving. The saving is an
assumption, stated with the figure: a pruner stops the trials it prunes after a few epochs,
so the trials that finish pay in full and the others a part. The shares below are the
rough figures Optuna's documentation and the Hyperband paper suggest, not measurements.
"""

from __future__ import annotations

from paretolab.budget_guard import Projected, budget_uses, check_launch, hard_budget_gone
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.costing.launch_cost import cli_shape, cost_preview, projected
from paretolab.costing.shape_sources import config_shape
from paretolab.costing.shapes import ModelShape
from paretolab.devices import Machine
from paretolab.errors import UserError
from paretolab.store import RunStore
from sweeps.space import base_with_fixed
from sweeps.spec import SweepSpec

# Share of the trials' steps a pruner is assumed to save (an assumption, said so).
PRUNER_SAVING = {"none": 0.0, "median": 0.3, "successive_halving": 0.5, "hyperband": 0.5}
OVER_BUDGET_ATTR = "paretolab:over_budget"  # the study's record of a confirmed overrun


def trial_config(spec: SweepSpec) -> RunConfig:
    """The config a trial starts from: the base with the fixed fields."""
    return parse_config(base_with_fixed(spec))


def _shape(config: RunConfig) -> ModelShape | None:
    """A built-in dataset's classes and image size from its registry; else the core's guess."""
    from lightning_modules.data.builtin.registry import DATASETS

    info = DATASETS.get(config.data.dataset)
    if info is None:
        return cli_shape(config)
    classes = 1 if config.task == "regression" else info.num_classes
    return config_shape(config, num_classes=classes, image_shape=info.image_shape)


def sweep_projection(spec: SweepSpec, here: Machine) -> Projected | None:
    """What the sweep is expected to cost (None when it cannot be priced here)."""
    config = trial_config(spec)
    try:
        shape = _shape(config)
        if shape is None:
            return None
        saving = PRUNER_SAVING[spec.pruner.name]
        return projected(cost_preview(config, shape, here), spec.n_trials, saving)
    except UserError:
        return None


def check_sweep_launch(
    store: RunStore,
    spec: SweepSpec,
    owner: str | None,
    here: Machine,
    confirmed: bool,
    flag: str,
) -> tuple[Projected | None, str | None]:
    """The sweep's projection, and the note to record when it goes past a soft budget.

    Raises:
        OverBudget: past a hard budget, or a soft one without confirmation.
    """
    projection = sweep_projection(spec, here)
    uses = budget_uses(store, owner, trial_config(spec).tags, projection)
    return projection, check_launch(uses, confirmed, flag)


def budget_stop(store: RunStore, spec: SweepSpec, owner: str | None) -> str | None:
    """Why a worker must start no more trials of this sweep (None: it may go on)."""
    return hard_budget_gone(store, owner, trial_config(spec).tags)
