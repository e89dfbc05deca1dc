"""A sweep in the terminal: start its workers, follow them until they end (Ctrl-C stops the
sweep), and print its summary and trials (``sweep run|resume|show``; ``sweeps.cli``)."""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

from paretolab.terminal import echo


def start_workers(name: str, url: str, placement: Any, store: Any, detach: bool) -> int:
    """Start the sweep's workers as ``placement`` says; detached, return at once, else wait
    for them (``wait_for``). Returns the command's exit code."""
    from sweeps.worker import spawn_workers, workers_dir

    if placement.note:
        echo(placement.note)
    count = placement.count
    procs = spawn_workers(name, url, count, store, placement.gpus)
    logs = workers_dir(name)
    if detach:
        echo(
            f"{count} worker(s) started (logs in {logs}); follow with `paretolab sweep show {name}`"
        )
        return 0
    echo(f"worker logs in {logs}; Ctrl-C stops the sweep (running trials are cancelled)")
    return wait_for(name, url, procs, store)


def wait_for(name: str, url: str, procs: list, store: Any) -> int:
    """Wait for the workers, printing progress, then the sweep's table; Ctrl-C stops the
    sweep, twice kills them. Returns 0 if every worker exited cleanly, else 1."""
    from sweeps.storage import open_storage
    from sweeps.study import load_sweep, progress, stop

    interrupts = 0

    def on_signal(signum: int, frame: object) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            echo("stopping the sweep: cancelling running trials …", file=sys.stderr)
            stop(load_sweep(open_storage(url), name)[0], store, cancel_running=True)
        else:
            for proc in procs:
                proc.kill()

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, on_signal) for s in handled}
    study, spec = load_sweep(open_storage(url), name)
    last = ""
    try:
        while any(p.poll() is None for p in procs):
            p = progress(study, spec)
            line = f"{p.counted - p.running}/{p.budget} done, {p.running} running"
            if line != last:
                echo(line, file=sys.stderr)
                last = line
            time.sleep(2)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    print_show(name, url)
    return 0 if all(p.returncode == 0 for p in procs) else 1


def print_show(name: str, url: str | None) -> None:
    """Print a sweep's summary, its trials and its best trial(s) (``sweep show``)."""
    import optuna

    from paretolab.executors import launcher
    from paretolab.store import RunStore
    from sweeps.analysis import best_trials, summary, trials_frame
    from sweeps.storage import default_storage_url, open_storage
    from sweeps.study import RetryStaleTrial, load_sweep

    store = RunStore()
    launcher.reap_orphans(store)
    study, spec = load_sweep(
        open_storage(url or default_storage_url(), RetryStaleTrial(store)), name
    )
    optuna.storages.fail_stale_trials(study)
    for key, value in summary(study, spec).items():
        echo(f"{key:>10}: {value}")
    frame = trials_frame(study, spec)
    echo(frame.drop(columns=["retry_of"]).to_string(index=False) if len(frame) else "no trials")
    for trial in best_trials(study):
        values = ", ".join(
            f"{o.metric}={v:.4g}" for o, v in zip(spec.objectives, trial.values, strict=True)
        )
        echo(f"best: trial {trial.number} (run {trial.user_attrs.get('run_id')}): {values}")
