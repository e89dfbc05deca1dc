"""Reading a sweep: summaries, the trials table, best trials, and Optuna's own figures.

Figures come from ``optuna.visualization`` (plotly). A figure Optuna cannot draw for a
study (importances from one trial, a Pareto front of one objective) raises
``FigureUnavailable`` with the reason, for the page to show instead.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import optuna
import pandas as pd
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from sweeps.spec import SweepSpec
from sweeps.study import load_sweep, owner_of, progress, state

FIGURES = {
    "history": "Optimisation history",
    "intermediate": "Intermediate values",
    "importances": "Parameter importances",
    "parallel": "Parallel coordinates",
    "contour": "Contour",
    "slice": "Slice",
    "edf": "EDF",
    "pareto": "Pareto front",
    "timeline": "Timeline",
}


class FigureUnavailable(Exception):
    """Optuna cannot draw this figure for this study; the message says why."""


def summary(study: optuna.Study, spec: SweepSpec) -> dict[str, Any]:
    """One line of the sweeps table: state, progress, best value(s), how it searches."""
    p = progress(study, spec)
    best = best_trials(study)
    if len(spec.objectives) == 1:
        best_text = f"{best[0].value:.4g} (trial {best[0].number})" if best else ""
    else:
        best_text = f"{len(best)} on the Pareto front" if best else ""
    return {
        "study": study.study_name,
        "state": state(study, spec),
        "owner": owner_of(study) or "",
        "done": p.counted - p.running,  # may pass the budget: trials enqueued by hand
        "budget": p.budget,
        "running": p.running,
        "complete": p.complete,
        "pruned": p.pruned,
        "failed": p.failed,
        "objectives": ", ".join(f"{o.direction[:3]} {o.metric}" for o in spec.objectives),
        "best": best_text,
        "sampler": spec.sampler.name,
        "pruner": spec.pruner.name,
    }


def summaries(storage: BaseStorage, names: list[str]) -> pd.DataFrame:
    """The sweeps table for the named studies."""
    rows = [summary(*load_sweep(storage, name)) for name in names]
    return pd.DataFrame(rows)


def best_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The best complete trial (one objective) or the Pareto-optimal ones (several)."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return []
    return study.best_trials if len(study.directions) > 1 else [study.best_trial]


def trials_frame(study: optuna.Study, spec: SweepSpec, now: float | None = None) -> pd.DataFrame:
    """Every trial: number, state, objective values, parameters, duration, its run."""
    now = now or time.time()
    names = [o.metric for o in spec.objectives]
    rows = []
    for t in study.get_trials(deepcopy=False):
        values = t.values or [math.nan] * len(names)
        started = t.datetime_start.timestamp() if t.datetime_start else None
        ended = t.datetime_complete.timestamp() if t.datetime_complete else None
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                **dict(zip(names, values, strict=True)),
                **{path: t.params.get(path) for path in spec.parameters},
                "duration_s": (ended or now) - started if started else None,
                "run_id": t.user_attrs.get("run_id"),
                "run_status": t.user_attrs.get("run_status"),
                "retry_of": t.system_attrs.get("failed_trial"),
            }
        )
    columns = ["trial", "state", *names, *spec.parameters, "duration_s", "run_id"]
    return pd.DataFrame(rows, columns=[*columns, "run_status", "retry_of"])


def figure(study: optuna.Study, spec: SweepSpec, key: str, objective: int = 0) -> Any:
    """Optuna's plotly figure ``key`` (see ``FIGURES``) for one objective of the study.

    Raises:
        FigureUnavailable: Optuna cannot draw it for this study; the message says why.
    """
    names = [o.metric for o in spec.objectives]
    several = len(names) > 1
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if key == "pareto" and not several:
        raise FigureUnavailable("a single-objective study has no Pareto front")
    if key == "intermediate":
        if not any(t.intermediate_values for t in trials):
            raise FigureUnavailable(
                "no trial reported intermediate values: they come from the pruning callback, "
                "so this study needs a pruner"
            )
    elif key == "timeline":
        if not trials:
            raise FigureUnavailable("the study has no trials yet")
    elif not complete:
        raise FigureUnavailable("no trial has completed yet")
    if key == "contour" and len({p for t in complete for p in t.params}) < 2:
        raise FigureUnavailable("a contour plot needs two or more sampled parameters")
    target: dict[str, Any] = {}
    if several and key not in ("pareto", "timeline", "intermediate"):
        target = {"target": _objective(objective), "target_name": names[objective]}
    elif not several:
        target = {"target_name": names[0]} if key not in ("timeline", "intermediate") else {}
    plot = _PLOTS[key]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if key == "pareto":
                return plot(study, target_names=names)
            return plot(study, **target)
    except (ValueError, RuntimeError) as exc:
        raise FigureUnavailable(str(exc)) from None


def _objective(i: int) -> Callable[[FrozenTrial], float]:
    return lambda t: t.values[i]


_PLOTS: dict[str, Callable[..., Any]] = {
    "history": optuna.visualization.plot_optimization_history,
    "intermediate": optuna.visualization.plot_intermediate_values,
    "importances": optuna.visualization.plot_param_importances,
    "parallel": optuna.visualization.plot_parallel_coordinate,
    "contour": optuna.visualization.plot_contour,
    "slice": optuna.visualization.plot_slice,
    "edf": optuna.visualization.plot_edf,
    "pareto": optuna.visualization.plot_pareto_front,
    "timeline": optuna.visualization.plot_timeline,
}
