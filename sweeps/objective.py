"""One trial: sample a config, record it as a run, train it in this process, report back.

Every trial is an ordinary run (named ``STUDY#N``, tagged ``sweep:STUDY``, linked to its
study and trial number, owned by the sweep's owner), trained by ``lightning_modules.run.train.run_training`` with Optuna's
pruning callback among its callbacks. The run ends finished, pruned (the pruner stopped
it; its curves so far are kept), failed or cancelled, and the trial follows it.
"""

from __future__ import annotations

import functools
import math

import optuna
from optuna_integration import PyTorchLightningPruningCallback

from lightning_modules.run.train import run_training
from paretolab import devices
from paretolab.admission import admit
from paretolab.devices import Machine
from paretolab.errors import ConfigError, UserError
from paretolab.store import FINISHED, PRUNED, RunStore
from sweeps.callbacks import CancelOnRequest, TrialFacts
from sweeps.measures import best_value, training_cost
from sweeps.space import suggest, trial_config
from sweeps.spec import SweepSpec
from sweeps.study import owner_of


class TrialFailed(Exception):
    """The trial's run did not finish (failed, cancelled) or its config was invalid."""


def run_trial(trial: optuna.Trial, spec: SweepSpec, store: RunStore) -> float | list[float]:
    """Train one trial as a run and return its objective value(s).

    Raises:
        optuna.TrialPruned: the pruner stopped it (the run is ``pruned``).
        TrialFailed: the run failed or was cancelled, or the sampled config is invalid.
    """
    values = suggest(trial, spec)
    name = f"{spec.study}#{trial.number}"
    try:
        config = trial_config(spec, values, name)
    except ConfigError as exc:
        # No run: a run's config is always valid. The trial counts as failed.
        trial.set_user_attr("run_status", "invalid")
        trial.set_user_attr("error", str(exc))
        raise TrialFailed(f"sampled config is invalid: {exc}") from None
    try:
        run = admit(
            config,
            store=store,
            owner=owner_of(trial.study),  # the sweep's owner owns its trials
            name=name,
            study=spec.study,
            trial_number=trial.number,
            machine=_machine(),
            on_slurm=False,  # the worker trains it here, whatever the executor
            read_data=None,
            check_budgets=False,  # checked at the sweep's launch and between its trials
        )
    except UserError as exc:
        # Refused before a run is stored, like an invalid config: the trial fails.
        trial.set_user_attr("run_status", "refused")
        trial.set_user_attr("error", str(exc))
        raise TrialFailed(f"sampled config is refused: {exc}") from None
    trial.set_user_attr("run_id", run.id)
    facts = TrialFacts()
    callbacks = [facts, CancelOnRequest(store, run.id)]
    if spec.pruner.name != "none":
        callbacks.append(PyTorchLightningPruningCallback(trial, monitor=spec.objectives[0].metric))
    status = run_training(store, run.id, callbacks, pruned_exceptions=(optuna.TrialPruned,))
    trial.set_user_attr("run_status", status)
    trial.set_user_attr("steps", facts.steps)
    trial.set_user_attr("params", facts.params)
    if status == PRUNED:
        raise optuna.TrialPruned(f"run {run.id} pruned at step {facts.steps}")
    if status != FINISHED:
        error = (store.get_run(run.id).error or "").strip().splitlines()
        raise TrialFailed(f"run {run.id} {status}" + (f": {error[-1]}" if error else ""))
    return objective_values(spec, store, run.id, facts)


@functools.cache
def _machine() -> Machine:
    """This worker's devices (detected once: every trial trains here)."""
    return devices.detect()


def objective_values(
    spec: SweepSpec, store: RunStore, run_id: int, facts: TrialFacts
) -> float | list[float]:
    """Each objective: the parameter count, the training cost (see ``measures``), or a val
    metric's best value in its direction during the run (its best checkpoint's epoch).

    Raises:
        TrialFailed: the run never logged an objective's metric.
    """
    values = []
    for objective in spec.objectives:
        if objective.metric == "params":
            values.append(float(facts.params))
            continue
        if objective.metric == "train_cost":
            latest = store.latest_metrics(run_id)
            values.append(training_cost(latest, facts.params, facts.steps))
            continue
        history = store.metric_history(run_id, objective.metric)
        value = best_value(history.values, objective.direction)
        if math.isnan(value):
            raise TrialFailed(f"run {run_id} logged no finite {objective.metric}")
        values.append(value)
    return values[0] if len(values) == 1 else values
