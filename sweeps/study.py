"""Studies: create, load, stop, resume, enqueue, and how far each has come.

A sweep is an Optuna study whose user attributes hold its spec (``paretolab:spec``),
state (``paretolab:state``: running or stopped) and owner (``paretolab:owner``, who
launched it; its trials' runs are theirs), so any worker, page or machine that reaches the
storage knows everything about it. A trial's run id is a trial user attribute.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.storages import BaseStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, TrialState

from paretolab.errors import UserError
from paretolab.store import RunStore
from sweeps.samplers import make_pruner, make_sampler
from sweeps.space import grid_size, params_from_config
from sweeps.spec import SweepSpec
from sweeps.storage import set_heartbeat

SPEC_ATTR = "paretolab:spec"
STATE_ATTR = "paretolab:state"
OWNER_ATTR = "paretolab:owner"
RUNNING, STOPPED = "running", "stopped"

# Heartbeats, stale-trial retries and metric names are "experimental" in Optuna: the same
# warning on every worker and page would bury everything else in the logs.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


@dataclass(frozen=True)
class Progress:
    """Where a sweep stands: trials counted against its budget, and what runs now."""

    counted: int
    budget: int
    running: int
    waiting: int
    complete: int
    pruned: int
    failed: int

    @property
    def needs_trials(self) -> bool:
        """True while a worker should start another trial."""
        return self.waiting > 0 or self.counted < self.budget


def create_sweep(spec: SweepSpec, storage: BaseStorage, owner: str | None = None) -> optuna.Study:
    """Create the study for ``spec`` (state running), launched by ``owner``.

    Raises:
        UserError: a study of that name exists.
    """
    if spec.sampler.name == "grid" and spec.n_trials > grid_size(spec):
        spec = spec.model_copy(update={"n_trials": grid_size(spec)})
    try:
        study = optuna.create_study(
            study_name=spec.study,
            storage=storage,
            directions=spec.directions,
            sampler=make_sampler(spec),
            pruner=make_pruner(spec),
        )
    except optuna.exceptions.DuplicatedStudyError:
        raise UserError(
            f"a sweep named {spec.study!r} exists; resume it with `paretolab sweep resume "
            f"{spec.study}` or choose another name (`study:` in the spec, or --study)"
        ) from None
    study.set_metric_names([o.metric for o in spec.objectives])
    study.set_user_attr(SPEC_ATTR, spec.model_dump(mode="json"))
    study.set_user_attr(STATE_ATTR, RUNNING)
    if owner is not None:
        study.set_user_attr(OWNER_ATTR, owner)
    return study


def owner_of(study: optuna.Study) -> str | None:
    """Who launched the sweep (None: nobody recorded)."""
    return study.user_attrs.get(OWNER_ATTR)


def load_sweep(
    storage: BaseStorage, name: str, seed_offset: int = 0
) -> tuple[optuna.Study, SweepSpec]:
    """The study and its spec, with the spec's sampler (its seed + ``seed_offset``), pruner
    and heartbeat.

    Raises:
        UserError: no such sweep in this storage, or a study paretolab did not create.
    """
    try:
        plain = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        known = ", ".join(s.study_name for s in optuna.get_all_study_summaries(storage)) or "none"
        raise UserError(f"no sweep named {name!r} in this storage (sweeps: {known})") from None
    raw = plain.user_attrs.get(SPEC_ATTR)
    if raw is None:
        raise UserError(f"study {name!r} was not created by paretolab (it has no sweep spec)")
    spec = SweepSpec.model_validate(raw)
    set_heartbeat(storage, spec.heartbeat_interval, spec.grace_period)
    study = optuna.load_study(
        study_name=name,
        storage=storage,
        sampler=make_sampler(spec, seed_offset),
        pruner=make_pruner(spec),
    )
    return study, spec


def sweep_names(storage: BaseStorage) -> list[str]:
    """Every study in the storage that paretolab created, oldest first."""
    return [
        s.study_name
        for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
        if SPEC_ATTR in s.user_attrs
    ]


def progress(study: optuna.Study, spec: SweepSpec) -> Progress:
    """Count trials against the budget: complete, pruned, running and failed-in-training ones
    count; a dead worker's trial (retried) and a cancelled one do not."""
    trials = study.get_trials(deepcopy=False)
    by_state = {s: [t for t in trials if t.state == s] for s in TrialState}
    # A failed trial with an outcome (its run failed, its config was invalid) counts; one
    # without (its worker died: retried instead) or a cancelled one does not.
    failed_counted = [
        t
        for t in by_state[TrialState.FAIL]
        if t.user_attrs.get("run_status") not in (None, "cancelled")
    ]
    running = len(by_state[TrialState.RUNNING])
    complete, pruned = len(by_state[TrialState.COMPLETE]), len(by_state[TrialState.PRUNED])
    return Progress(
        counted=complete + pruned + running + len(failed_counted),
        budget=spec.n_trials,
        running=running,
        waiting=len(by_state[TrialState.WAITING]),
        complete=complete,
        pruned=pruned,
        failed=len(by_state[TrialState.FAIL]),
    )


def state(study: optuna.Study, spec: SweepSpec) -> str:
    """stopped, finished, running, or waiting for workers (trials left, none running)."""
    if study.user_attrs.get(STATE_ATTR) == STOPPED:
        return STOPPED
    p = progress(study, spec)
    if p.running:
        return RUNNING
    return "waiting for workers" if p.needs_trials else "finished"


def is_stopped(study: optuna.Study) -> bool:
    """True once the sweep was stopped (``user_attrs`` re-reads the storage on each call)."""
    return study.user_attrs.get(STATE_ATTR) == STOPPED


def stop(study: optuna.Study, store: RunStore, cancel_running: bool) -> list[int]:
    """Stop the sweep: no new trials. Running trials finish, or with ``cancel_running`` are
    cancelled (their workers watch for the request). Returns the run ids asked to cancel."""
    study.set_user_attr(STATE_ATTR, STOPPED)
    cancelled = []
    if cancel_running:
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            run_id = trial.user_attrs.get("run_id")
            if run_id is not None and store.request_cancel(run_id):
                cancelled.append(run_id)
    return cancelled


def resume(study: optuna.Study) -> None:
    """Let workers start trials again (start them with ``sweeps.worker``)."""
    study.set_user_attr(STATE_ATTR, RUNNING)


def enqueue_from_run(study: optuna.Study, spec: SweepSpec, store: RunStore, run_id: int) -> None:
    """Queue a trial with the search-space values of an existing run; the next free worker
    runs it before any sampled trial.

    Raises:
        UserError: no such run, or its values lie outside the search space.
    """
    params = params_from_config(spec, store.get_run(run_id).config)
    study.enqueue_trial(params, user_attrs={"enqueued_from_run": run_id})


class RetryStaleTrial:
    """Optuna's stale-trial callback for sweeps: the dead trial's run is marked failed, then
    ``RetryHeartbeatStaleTrialCallback`` (formerly ``RetryFailedTrialCallback``) queues the
    trial again, at most ``max_retry`` times (read from the study's spec)."""

    def __init__(self, store: RunStore):
        self.store = store

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        run_id = trial.user_attrs.get("run_id")
        if run_id is not None:
            self.store.mark_failed(
                run_id, f"trial {trial.number}'s worker stopped sending heartbeats (killed?)"
            )
        spec: dict[str, Any] = study.user_attrs.get(SPEC_ATTR, {})
        retry = RetryHeartbeatStaleTrialCallback(max_retry=spec.get("max_retry", 2))
        retry(study, trial)
