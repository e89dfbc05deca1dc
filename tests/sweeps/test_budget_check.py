"""A sweep against the budgets: its projected cost, the confirmation at launch, and its
workers stopping between trials when a hard budget is used up."""

from __future__ import annotations

import optuna
import pytest

from paretolab.cli import main
from paretolab.devices import detect
from paretolab.store import Budget, RunStore
from sweeps import worker
from sweeps.budget_check import OVER_BUDGET_ATTR, sweep_projection
from sweeps.spec import load_spec
from sweeps.storage import default_storage_url, open_storage
from sweeps.study import load_sweep
from tests.sweeps.conftest import write_spec

TRIAL_USD = 4.0


def _billed_trial(trial: optuna.Trial, spec, store: RunStore) -> float:
    """A trial that spends $4 at once (its run records a bill), without training."""
    run = store.create_run({"hardware": {"profile": "cpu"}}, "t", "lm", study=spec.study)
    store.log_metrics(run.id, [("cost/usd", 1, TRIAL_USD, 0.0), ("cost/device_hours", 1, 1.0, 0.0)])
    store.claim(run.id)
    store.mark_finished(run.id)
    trial.set_user_attr("run_id", run.id)
    return 0.5


def test_a_hard_budget_stops_a_sweep_between_trials(
    store: RunStore, new_sweep, monkeypatch, caplog
) -> None:
    spec = new_sweep(n_trials=6)
    store.add_budget(Budget(name="gpu", amount=10.0, unit="usd", period="month", hard=True))
    monkeypatch.setattr(worker, "run_trial", _billed_trial)
    with caplog.at_level("WARNING", logger="paretolab.sweeps"):
        ran = worker.run_worker(spec.study, store=store)
    assert ran == 3  # $4, $8, $12: the third took it past $10, so no fourth started
    study, _ = load_sweep(open_storage(default_storage_url()), spec.study)
    why = study.user_attrs[worker.BUDGET_STOP_ATTR]
    assert "budget gpu ($10 month, hard): 120% spent" in why and "used up" in why
    assert why in caplog.text


def test_the_projection_is_trials_times_one_trial_less_the_pruner(tmp_path) -> None:
    plain = load_spec(write_spec(tmp_path, n_trials=10))
    pruned = load_spec(write_spec(tmp_path, study="p", n_trials=10, pruner={"name": "median"}))
    one = sweep_projection(load_spec(write_spec(tmp_path, study="o", n_trials=1)), detect())
    ten, saved = sweep_projection(plain, detect()), sweep_projection(pruned, detect())
    assert ten.usd == pytest.approx(10 * one.usd) and one.usd > 0
    assert saved.usd == pytest.approx(0.7 * ten.usd)
    assert "10 trials, the pruner assumed to save 30% of their steps" in saved.basis


def test_sweep_run_over_a_soft_budget_needs_confirmation(
    store: RunStore, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(worker, "spawn_workers", lambda *a, **k: [])  # create, train nothing
    store.add_budget(Budget(name="tiny", amount=1e-9, unit="usd", period="month"))
    argv = ["sweep", "run", str(write_spec(tmp_path)), "--detach", "--owner", "ana"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "over budget: budget tiny" in err and "--confirm-over-budget" in err
    assert optuna.get_all_study_names(open_storage(default_storage_url())) == []
    assert main([*argv, "--confirm-over-budget"]) == 0
    out = capsys.readouterr().out
    assert "projected: $" in out and "6 trials" in out
    study, _ = load_sweep(open_storage(default_storage_url()), "tiny")
    assert study.user_attrs[OVER_BUDGET_ATTR].startswith("confirmed by ana: budget tiny")
