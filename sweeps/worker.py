"""Sweep workers: ``python -m sweeps.worker STUDY`` (``paretolab sweep worker``).

A worker loads the study and its spec from the storage and runs trials one at a time, each
in its own process (the worker's), until the trial budget is used, the sweep is stopped, a
hard spending budget that covers it is used up (``sweeps.budget_check``: it logs why and
records it on the study), or it is told to stop (SIGTERM/Ctrl-C: the running trial is cancelled, then the worker exits). Any
number of workers on any number of machines may share one study.

Before each trial a worker fails trials whose heartbeat stopped (their run is marked
failed and the trial retried, see ``study.RetryStaleTrial``) and reaps runs of dead local
processes. With the budget used but trials still running elsewhere it waits, so a trial
whose worker dies near the end is still retried.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import optuna

from paretolab import settings
from paretolab.errors import UserError
from paretolab.executors import launcher, training_process
from paretolab.executors.gpu_queue import gpu_env
from paretolab.store import CANCELLED, RunStore
from sweeps.budget_check import budget_stop
from sweeps.objective import TrialFailed, run_trial
from sweeps.storage import SWEEP_STORAGE_ENV, default_storage_url, is_journal, open_storage
from sweeps.study import RetryStaleTrial, is_stopped, load_sweep, owner_of, progress
from sweeps.worker_gpus import claim_worker_gpus

log = logging.getLogger("paretolab.sweeps")
BUDGET_STOP_ATTR = "paretolab:budget_stop"  # why the workers stopped starting trials
PINNED_ENV = "PARETOLAB_WORKER_PINNED"  # set for a worker whose GPUs the store holds for it


def run_worker(
    name: str,
    storage_url: str | None = None,
    store: RunStore | None = None,
    poll: float = 2.0,
    index: int = 0,
) -> int:
    """Run trials of sweep ``name`` until it needs no more; returns how many this worker ran.

    ``index`` numbers the workers started together; with the trials already in the study it
    offsets a seeded sampler, so workers (and resumed sweeps) never replay one sequence.
    """
    store = store or RunStore()
    url = storage_url or default_storage_url()
    if not is_journal(url) and store.engine.dialect.name == "sqlite":
        log.warning(
            "the sweep storage is a database but the run store is this machine's SQLite "
            "file: set PARETOLAB_DB_URL to the team database so every worker's trials are "
            "runs in one store"
        )
    storage = open_storage(url, RetryStaleTrial(store))
    existing = len(load_sweep(storage, name)[0].get_trials(deepcopy=False))
    study, spec = load_sweep(storage, name, seed_offset=1000 * existing + index)
    told_to_stop = _StopFlag()
    last_run: dict[str, int | None] = {"id": None}

    def objective(trial: optuna.Trial) -> float | list[float]:
        try:
            return run_trial(trial, spec, store)
        finally:
            last_run["id"] = trial.user_attrs.get("run_id")

    ran = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            while not told_to_stop.value:
                launcher.reap_orphans(store)
                optuna.storages.fail_stale_trials(study)
                if is_stopped(study):
                    break
                now = progress(study, spec)
                if now.needs_trials and (why := budget_stop(store, spec, owner_of(study))):
                    log.warning("sweep %s starts no more trials: %s", name, why)
                    study.set_user_attr(BUDGET_STOP_ATTR, why)
                    break
                if now.needs_trials:
                    last_run["id"] = None
                    study.optimize(objective, n_trials=1, catch=(TrialFailed,), gc_after_trial=True)
                    ran += 1
                    if _cancelled_by_signal(store, last_run["id"]):
                        break  # SIGTERM reached this worker during the trial: stop here
                elif now.running:
                    time.sleep(poll)  # the last trials run elsewhere; retry them if they die
                else:
                    break
    finally:
        told_to_stop.restore()
    return ran


def _cancelled_by_signal(store: RunStore, run_id: int | None) -> bool:
    """A run cancelled without a cancel request in the store: the signal was for the worker."""
    if run_id is None:
        return False
    run = store.get_run(run_id)
    return run.status == CANCELLED and run.cancel_requested_at is None


class _StopFlag:
    """SIGTERM/SIGINT between trials: finish the loop. During a trial the run's own handler
    takes over (the run is cancelled) and hands back when the trial ends."""

    def __init__(self) -> None:
        self.value = False
        self._old: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():  # signals reach only it
            self._old = {s: signal.signal(s, self._set) for s in (signal.SIGTERM, signal.SIGINT)}

    def _set(self, signum: int, frame: object) -> None:
        self.value = True

    def restore(self) -> None:
        for signum, handler in self._old.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def worker_argv(name: str, index: int = 0) -> list[str]:
    """The command line of one worker process. It names no storage: a database URL holds
    its password, and any user on the machine reads command lines (``ps``); the worker
    gets the URL in its environment (``worker_env``)."""
    return [sys.executable, "-m", "sweeps.worker", name, "--index", str(index)]


def worker_env(storage_url: str, store: RunStore) -> dict[str, str]:
    """The environment of a worker process: the training environment plus its storage."""
    return {**training_process.child_env(store), SWEEP_STORAGE_ENV: storage_url}


def spawn_workers(
    name: str,
    storage_url: str,
    count: int,
    store: RunStore,
    gpus: list[list[int]] | None = None,
) -> list[subprocess.Popen]:
    """Start ``count`` worker processes in the background, each in its own process group,
    logging to ``sweeps/STUDY/worker-K.log`` under the paretolab home. With ``gpus`` (one
    list per worker, ``worker_gpus.place_workers``) each sees only its own: they are held
    in the store before the workers start, then handed to each worker's pid."""
    folder = workers_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    if gpus:
        claim_worker_gpus(store, name, gpus)
    procs = []
    for index in range(count):
        k = len(list(folder.glob("worker-*.log")))
        pinned = {**gpu_env(gpus[index]), PINNED_ENV: "1"} if gpus else {}
        try:
            with open(folder / f"worker-{k}.log", "ab") as out:
                proc = subprocess.Popen(
                    worker_argv(name, index),
                    env={**worker_env(storage_url, store), **pinned},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        except OSError:
            for unstarted in (gpus or [])[index:]:  # the started ones keep theirs
                store.release_gpus(pid=os.getpid(), gpus=unstarted)
            raise
        if gpus:
            store.hand_gpus_to_process(gpus[index], os.getpid(), proc.pid)
        procs.append(proc)
    return procs


def workers_dir(name: str) -> Path:
    """The folder for a sweep's worker logs."""
    return settings.home_dir() / "sweeps" / name


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit code 0 when the worker is done, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m sweeps.worker")
    parser.add_argument("study", help="name of the sweep to work on")
    parser.add_argument(
        "--storage",
        default=None,
        help=f"Optuna storage URL or journal path (default: ${SWEEP_STORAGE_ENV}, else the "
        "team database or the home's journal); a URL with a password shows in `ps`: prefer "
        f"${SWEEP_STORAGE_ENV}",
    )
    parser.add_argument(
        "--index", type=int, default=0, help="this worker's number among those started together"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        ran = run_worker(args.study, args.storage, index=args.index)
    except UserError as exc:
        print(f"paretolab: error: {exc}", file=sys.stderr)
        return 2
    finally:
        _release_own_gpus()
    log.info("worker done: ran %d trial(s) of %s", ran, args.study)
    return 0


def _release_own_gpus() -> None:
    """Free the GPUs the launcher held for this worker, if it was pinned. A failure here
    must not hide how the worker ended: the next executor tick frees a dead pid's GPUs."""
    if not os.environ.get(PINNED_ENV):
        return
    try:
        RunStore().release_gpus(pid=os.getpid())
    except Exception as exc:  # noqa: BLE001 (cleanup: any error is only logged)
        log.warning("could not free this worker's GPUs (the executor will): %s", exc)


if __name__ == "__main__":
    sys.exit(main())
