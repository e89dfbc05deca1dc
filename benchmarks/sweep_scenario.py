"""Fault scenario: many sweep worker processes on one PostgreSQL study (the team set-up).

Kept apart from fault_scenarios.py because it needs optuna (the sweeps layer).
"""

from __future__ import annotations

import os
import subprocess
import sys

from benchmarks.common import REPO
from benchmarks.fault_scenarios import Outcome

# Each worker joins the study through paretolab's sweep storage and runs its share of
# trials; the objective is a formula of the params, so every stored value can be checked.
_WORKER = """
import sys, optuna
from sweeps.storage import open_storage
optuna.logging.set_verbosity(optuna.logging.WARNING)
url, name, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
study = optuna.load_study(study_name=name, storage=open_storage(url))
study.optimize(
    lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2 + t.suggest_int("n", 1, 5), n_trials=trials
)
"""


def objective_value(params: dict) -> float:
    """What the workers' objective returns for ``params``."""
    return (params["x"] - 2) ** 2 + params["n"]


def parallel_sweep_workers(storage_url: str, workers: int = 8, trials: int = 20) -> Outcome:
    """``workers`` processes × ``trials`` trials on one study. Ok when the study holds
    exactly workers × trials complete trials with distinct numbers and every value equals
    the objective recomputed from the trial's params."""
    import optuna
    from optuna.trial import TrialState

    from sweeps.storage import open_storage

    storage = open_storage(storage_url)  # creates the schema once, before the race
    name = f"faults-{os.getpid()}"
    optuna.create_study(study_name=name, storage=storage)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, storage_url, name, str(trials)],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    failed = [err for p in procs if (err := p.communicate(timeout=600)[1]) and p.returncode]
    study = optuna.load_study(study_name=name, storage=storage)
    done = [t for t in study.get_trials() if t.state == TrialState.COMPLETE]
    numbers = {t.number for t in done}
    wrong = sum(1 for t in done if abs(t.value - objective_value(t.params)) > 1e-9)
    expected = workers * trials
    observed = (
        f"{len(done)} complete of {len(study.get_trials())}, {len(numbers)} distinct numbers, "
        f"{wrong} wrong values, {len(failed)} workers failed"
    )
    if failed:
        observed += f": {failed[0].strip().splitlines()[-1]}"
    return Outcome(
        f"{workers} sweep workers × {trials} trials (PostgreSQL)",
        f"{expected} complete trials, distinct numbers, values recomputable",
        observed,
        not failed
        and len(done) == len(numbers) == expected == len(study.get_trials())
        and not wrong,
    )
