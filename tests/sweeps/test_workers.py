"""Sweeps end to end on the tiny digits ViT: parallel workers, pruning, several objectives,
and a worker killed mid-trial."""

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from paretolab.auth import os_user
from paretolab.store import RunStore
from sweeps.analysis import best_trials, figure, trials_frame
from sweeps.storage import default_storage_url, open_storage
from sweeps.study import RetryStaleTrial, load_sweep, progress
from sweeps.worker import run_worker, spawn_workers, workers_dir
from tests.conftest import REPO
from tests.sweeps.conftest import TINY_SPEC

# Trials as short as a run can be, where the test does not need the model to learn.
FAST = ["trainer.max_epochs=1", "data.limit_samples=200", "data.batch_size=32"]
FAST_FIXED = {**dict(f.split("=") for f in FAST), "wandb.mode": "disabled"}


def sweep(store: RunStore, name: str) -> tuple[optuna.Study, object]:
    return load_sweep(open_storage(default_storage_url(), RetryStaleTrial(store)), name)


@pytest.mark.slow
def test_six_trials_with_two_workers_are_six_runs(store: RunStore, home) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "paretolab.cli", "sweep", "run", str(TINY_SPEC), "--workers", "2"]
        + [arg for f in FAST for arg in ("--set", f)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "best: trial" in done.stdout
    study, spec = sweep(store, "tiny")
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
    runs = {r.id: r for r in store.list_runs()}
    assert len(runs) == 6
    for t in trials:
        run = runs[t.user_attrs["run_id"]]
        assert (run.study, run.trial_number, run.status) == ("tiny", t.number, "finished")
        assert run.owner == os_user()  # the sweep's owner (`sweep run` without --owner)
        assert run.config["optim"]["lr"] == t.params["optim.lr"]
    assert len({t.params["optim.lr"] for t in trials}) == 6  # the workers did not repeat
    logs = "".join(p.read_text() for p in workers_dir("tiny").glob("worker-*.log"))
    assert "database is locked" not in logs and logs.count("worker done") == 2
    assert progress(study, spec).counted == 6


@pytest.mark.slow
def test_a_trial_worse_than_the_median_is_pruned_and_keeps_its_curve(
    store: RunStore, new_sweep
) -> None:
    spec = new_sweep(
        study="pruned",
        n_trials=2,
        objectives=[{"metric": "val_loss", "direction": "minimize"}],
        pruner={"name": "median", "n_startup_trials": 1},
        parameters={"optim.lr": {"type": "categorical", "choices": [0.01, 1.0e-6]}},
    )
    study, _ = sweep(store, spec.study)
    study.enqueue_trial({"optim.lr": 0.01})
    study.enqueue_trial({"optim.lr": 1.0e-6})  # learns nothing: worse than the median at once
    assert run_worker(spec.study, store=store) == 2
    good, bad = study.get_trials()
    assert (good.state, bad.state) == (TrialState.COMPLETE, TrialState.PRUNED)
    run = store.get_run(bad.user_attrs["run_id"])
    assert run.status == "pruned" and run.error is None
    assert len(store.metric_history(run.id, "val_loss")) == 1  # its one epoch, kept
    assert list(bad.intermediate_values) == [0]
    assert figure(study, spec, "intermediate") is not None


@pytest.mark.slow
def test_two_objectives_have_a_pareto_front(store: RunStore, new_sweep) -> None:
    spec = new_sweep(
        study="pareto",
        n_trials=3,
        objectives=[
            {"metric": "val_acc", "direction": "maximize"},
            {"metric": "train_cost", "direction": "minimize"},
        ],
        parameters={"model.d_model": {"type": "categorical", "choices": [16, 32]}},
        sampler={"name": "nsga2", "seed": 0, "population_size": 2},
        fixed=FAST_FIXED,
    )
    run_worker(spec.study, store=store)
    study, _ = sweep(store, spec.study)
    front = best_trials(study)
    assert front and all(t.state == TrialState.COMPLETE for t in front)
    frame = trials_frame(study, spec)
    assert list(frame.columns[:4]) == ["trial", "state", "val_acc", "train_cost"]
    for t in study.trials:
        # the cost objective is the training FLOPs the cost model counted for the run
        cost = store.latest_metrics(t.user_attrs["run_id"])["cost/flops_estimated"].value
        assert t.values[1] == cost > 0 and t.user_attrs["params"] > 0
    assert figure(study, spec, "pareto") is not None
    assert figure(study, spec, "history", objective=1) is not None


@pytest.mark.slow
def test_a_worker_killed_mid_trial_leaves_its_trial_failed_and_retried(
    store: RunStore, new_sweep
) -> None:
    # Two epochs of 25 steps: long enough to be killed in the middle.
    fixed = {
        **FAST_FIXED,
        "trainer.max_epochs": 2,
        "data.limit_samples": 400,
        "data.batch_size": 16,
    }
    spec = new_sweep(study="killed", n_trials=2, heartbeat_interval=1, grace_period=2, fixed=fixed)
    (worker,) = spawn_workers(spec.study, default_storage_url(), 1, store)
    try:
        deadline = time.monotonic() + 90
        while not store.list_runs(["running"]):
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert store.list_runs(["running"])  # dead, but nobody has noticed yet
    run_worker(spec.study, store=store, poll=0.5)
    study, _ = sweep(store, spec.study)
    trials = study.get_trials()
    (killed,) = [t for t in trials if t.state == TrialState.FAIL]
    (retry,) = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert retry.state == TrialState.COMPLETE
    assert retry.params == killed.params
    assert store.get_run(killed.user_attrs["run_id"]).status == "failed"
    assert store.get_run(retry.user_attrs["run_id"]).status == "finished"
    assert not study.get_trials(states=(TrialState.RUNNING,))
    assert not store.list_runs(["running", "queued"])
    assert progress(study, spec).counted == 2
