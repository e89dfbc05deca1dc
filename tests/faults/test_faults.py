"""The fault scenarios of benchmarks/fault_scenarios.py, at test size: each must hold."""

from __future__ import annotations

import pytest

from benchmarks import fault_scenarios as faults
from paretolab.store import RunStore
from paretolab.store import database as db


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_metric_writes_lose_and_duplicate_nothing(backend, home, request) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{home / 'writes.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    RunStore(url)  # create the schema once, before the writers race
    # 8 processes × 1,000 points, 100 points a transaction (the benchmark writes them one by one).
    outcome = faults.concurrent_metric_writes(url, processes=8, points=1000, batch=100)
    db.dispose_engine(url)
    assert outcome.ok, outcome.observed


@pytest.mark.slow
def test_a_sigkilled_training_process_is_failed_with_its_metrics_kept(store: RunStore) -> None:
    run_id = faults.queue_endless_tiny_run(store)
    outcome = faults.sigkill_training(store, run_id, reap_bound=5.0)
    assert outcome.ok, outcome.observed
    assert "died without reporting" in store.get_run(run_id).error


@pytest.mark.slow
def test_sigterm_checkpoints_and_runs_resume_continues_the_curve(store: RunStore) -> None:
    outcome = faults.sigterm_then_resume(store, max_steps=30, term_after=5)
    assert outcome.ok, outcome.observed


@pytest.mark.slow
def test_sigkill_during_checkpoint_writes_never_breaks_last_ckpt(tmp_path) -> None:
    outcome = faults.sigkill_during_checkpoint_writes(tmp_path, repeats=20)
    assert outcome.ok, outcome.observed


def test_a_database_outage_mid_run_loses_no_metric(postgres) -> None:
    # 3 s here; the benchmark cuts the line for 30 s.
    url = postgres.new_database()
    RunStore(url)
    outcome = faults.database_outage(postgres.port, url, outage_s=3.0)
    assert outcome.ok, outcome.observed


# 8 sweep workers × 20 trials on one PostgreSQL study runs in benchmarks/faults.py: its eight
# optuna processes take over a minute on a busy 2-core machine, too long for the suite.
