"""Sweeps for the Sweeps page: studies and their trials, Optuna's figures, and launching,
stopping, resuming and enqueuing — all through the ``sweeps`` package."""

from __future__ import annotations

import math
import shlex
from typing import Any

import optuna
import pandas as pd
import streamlit as st
import yaml

from dashboard.services import data_check
from dashboard.services.access import current_user, owner_name, require
from dashboard.services.common import REPO, get_store, store
from dashboard.services.launch import CONFIRM_BOX
from dashboard.services.system import machine
from paretolab import settings, yaml_safe
from paretolab.budget_guard import BudgetUse, Projected, budget_uses
from paretolab.config.io import load_config, load_yaml_text
from paretolab.errors import ConfigError, UserError
from paretolab.executors import launcher
from sweeps import analysis, budget_check, study
from sweeps.spec import SweepSpec, parse_spec
from sweeps.storage import default_storage_url, open_storage, printable
from sweeps.worker import spawn_workers
from sweeps.worker_gpus import place_workers

SPECS_DIR = REPO / "configs" / "sweeps"
FIGURES = analysis.FIGURES


@st.cache_resource
def _storage(url: str) -> optuna.storages.BaseStorage:
    """One storage per URL per server (a journal replays its file once, then follows it)."""
    return open_storage(url, study.RetryStaleTrial(get_store()))


def storage_url() -> str:
    """Where this server's sweeps live."""
    return default_storage_url()


def _load(name: str) -> tuple[optuna.Study, SweepSpec]:
    return study.load_sweep(_storage(storage_url()), name)


def sweep_names() -> list[str]:
    """The sweeps in the storage, newest first."""
    return list(reversed(study.sweep_names(_storage(storage_url()))))


def sweeps_frame() -> pd.DataFrame:
    """The sweeps table (state, progress, best value), after failing trials of dead workers
    (not in a read-only demo: its workers' hosts do that)."""
    names = sweep_names()
    if not settings.demo_mode():
        launcher.reap_orphans(store())
        for name in names:
            optuna.storages.fail_stale_trials(_load(name)[0])
    return analysis.summaries(_storage(storage_url()), names)


def overview(name: str) -> dict[str, Any]:
    """One sweep's summary line."""
    return analysis.summary(*_load(name))


def objective_names(name: str) -> list[str]:
    """The sweep's objectives, in order."""
    return [o.metric for o in _load(name)[1].objectives]


def trials_frame(name: str) -> pd.DataFrame:
    """Every trial, with the id of the run it trained (``run_id``; the page opens it)."""
    return analysis.trials_frame(*_load(name))


def best_frame(name: str) -> pd.DataFrame:
    """The best trial, or the Pareto-optimal trials, as rows of the trials table."""
    sweep, _spec = _load(name)
    numbers = [t.number for t in analysis.best_trials(sweep)]
    frame = trials_frame(name)
    return frame[frame["trial"].isin(numbers)]


def figure(name: str, key: str, objective: int = 0) -> tuple[Any, str]:
    """Optuna's figure ``key`` for the sweep, or (None, why Optuna cannot draw it)."""
    sweep, spec = _load(name)
    try:
        return analysis.figure(sweep, spec, key, objective), ""
    except analysis.FigureUnavailable as exc:
        return None, str(exc)


def spec_yaml(name: str) -> str:
    """The sweep's spec, as stored with its study."""
    return yaml.safe_dump(_load(name)[1].model_dump(mode="json"), sort_keys=False)


def optuna_dashboard_command() -> str:
    """The optuna-dashboard command that opens this server's sweep storage."""
    # A database URL is shown without its password (`***`: put yours in its place).
    return f"optuna-dashboard {shlex.quote(printable(storage_url()))}"


# ------------------------------------------------------------------ actions


def owner(name: str) -> str | None:
    """Who launched the sweep (None: nobody recorded)."""
    return study.owner_of(_load(name)[0])


def stop(name: str, cancel_running: bool) -> list[int]:
    """Stop the sweep; returns the runs asked to cancel."""
    sweep, _spec = _load(name)
    require("stop a sweep", study.owner_of(sweep))
    return study.stop(sweep, store(), cancel_running)


def resume(name: str, workers: int) -> None:
    """Resume the sweep with ``workers`` new worker processes on this server."""
    sweep, spec = _load(name)
    require("resume a sweep", study.owner_of(sweep))
    placement = place_workers(workers, spec, store())  # one GPU each where there are GPUs
    study.resume(sweep)
    spawn_workers(name, storage_url(), placement.count, store(), placement.gpus)


def enqueue(name: str, run_id: int) -> None:
    """Queue a trial with an existing run's search-space values (raises UserError)."""
    sweep, spec = _load(name)
    require("enqueue a trial", study.owner_of(sweep))
    study.enqueue_from_run(sweep, spec, store(), run_id)


def sweep_cost(spec: SweepSpec) -> tuple[Projected | None, list[BudgetUse]]:
    """The sweep's projected cost (n_trials × one trial, less the pruner's assumed saving)
    and each budget that covers it, for the signed-in user."""
    projection = budget_check.sweep_projection(spec, machine())
    owner = owner_name(current_user())
    tags = budget_check.trial_config(spec).tags
    return projection, budget_uses(store(), owner, tags, projection)


def launch(spec: SweepSpec, workers: int, confirm_over_budget: bool = False) -> None:
    """Create the sweep, owned by the signed-in user, and start ``workers`` worker
    processes (raises UserError). Past a soft budget it needs ``confirm_over_budget``
    (recorded on the study); past a hard one it is refused."""
    user = require("launch a sweep")
    # Its trials read these paths as the server: bound like a launched run's, and checked
    # before anything else reads the spec (the budget check builds its base config).
    data_check.check_roots(spec.base.get("data", {}).get("path"), "base: data.path")
    data_check.check_roots(spec.fixed.get("data.path"), "fixed: data.path")
    if "data.path" in spec.parameters:
        for choice in getattr(spec.parameters["data.path"], "choices", None) or ():
            data_check.check_roots(str(choice), "parameters: data.path")
    _, note = budget_check.check_sweep_launch(
        store(), spec, owner_name(user), machine(), confirm_over_budget, CONFIRM_BOX
    )
    placement = place_workers(workers, spec, store())  # one GPU each where there are GPUs
    created = study.create_sweep(spec, _storage(storage_url()), owner=owner_name(user))
    if note is not None:
        created.set_user_attr(
            budget_check.OVER_BUDGET_ATTR,
            f"confirmed by {owner_name(user) or 'an unnamed user'}: {note}",
        )
    spawn_workers(spec.study, storage_url(), placement.count, store(), placement.gpus)


# ------------------------------------------------------------------ the launch form


def preset_spec_names() -> list[str]:
    """Sweep specs shipped in configs/sweeps, by file stem."""
    return sorted(p.stem for p in SPECS_DIR.glob("*.yaml"))


def preset_spec_text(name: str) -> str:
    """A shipped spec's YAML text."""
    return (SPECS_DIR / f"{name}.yaml").read_text(encoding="utf-8")


def spec_from_text(text: str) -> tuple[SweepSpec | None, list[str]]:
    """A spec from YAML text (a relative ``base`` is read from configs/sweeps), or problems."""
    try:
        return parse_spec(load_yaml_text(text, "sweep spec"), "sweep spec", SPECS_DIR), []
    except ConfigError as exc:
        return None, exc.problems


def base_config(preset: str) -> dict[str, Any]:
    """A run config preset (configs/NAME.yaml) as the base of a sweep."""
    return load_config(REPO / "configs" / f"{preset}.yaml").model_dump(mode="json")


def spec_from_form(
    form: dict[str, Any], parameter_rows: list[dict], objective_rows: list[dict]
) -> tuple[SweepSpec | None, list[str]]:
    """A spec from the form's fields and its two tables, or the problems (one per line)."""
    try:
        data = {
            **form,
            "parameters": parameters_from_rows(parameter_rows),
            "objectives": [
                {"metric": r["metric"], "direction": r["direction"]}
                for r in objective_rows
                if _filled(r.get("metric"))
            ],
        }
    except UserError as exc:
        return None, [str(exc)]
    try:
        return parse_spec(data, "form"), []
    except ConfigError as exc:
        return None, exc.problems


def parameters_from_rows(rows: list[dict]) -> dict[str, Any]:
    """The search-space editor's rows (field, type, low, high, log, step, choices, when) as
    the spec's ``parameters``; empty rows are skipped.

    Raises:
        UserError: a row lacks what its type needs.
    """
    params: dict[str, Any] = {}
    for row in rows:
        field = _text(row.get("field"))
        if not field:
            continue
        kind = _text(row.get("type")) or "float"
        param: dict[str, Any] = {"type": kind}
        if kind == "categorical":
            choices = [c.strip() for c in _text(row.get("choices")).split(",") if c.strip()]
            param["choices"] = [yaml_safe.load(c, f"parameters.{field}") for c in choices]
        else:
            for bound in ("low", "high"):
                if not _filled(row.get(bound)):
                    raise UserError(f"parameters.{field}: a {kind} needs `{bound}`")
                param[bound] = row[bound]
            param["log"] = _text(row.get("log")) == "True"
            if _filled(row.get("step")):
                param["step"] = row["step"]
        when = _text(row.get("when"))
        if when:
            key, sep, values = when.partition("=")
            if not sep:
                raise UserError(f"parameters.{field}: write `when` as FIELD=VALUE[|VALUE…]")
            param["when"] = {
                key.strip(): [yaml_safe.load(v, f"parameters.{field}") for v in values.split("|")]
            }
        params[field] = param
    return params


def _text(value: Any) -> str:
    """A table cell as text: "" for an empty cell (None, NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _filled(value: Any) -> bool:
    return _text(value) != ""
