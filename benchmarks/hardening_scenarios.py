"""Fault scenarios of issue 18: a run deleted while its process exits, and secrets in argv.

Like ``fault_scenarios`` (which holds the others; it is full), each function provokes one
failure and returns an ``Outcome``; tests/faults/test_hardening_faults.py asserts on them and
``benchmarks/faults.py`` prints them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from benchmarks.fault_scenarios import Outcome, wait_for

# A stand-in for a training process that has recorded its end and is still exiting: its
# command line names its run, as launcher.train_argv's does.
_EXITING = "import sys, time; time.sleep(float(sys.argv[1]))"


def _start_exiting_process(store, run_id: int, seconds: float) -> subprocess.Popen:
    argv = [sys.executable, "-c", _EXITING, str(seconds), "--run-id", str(run_id)]
    proc = subprocess.Popen(argv, start_new_session=True)
    store.claim(run_id, host=socket.gethostname())
    store.set_pid(run_id, proc.pid)
    store.mark_finished(run_id)  # it said so; its process is still winding down
    return proc


def delete_while_exiting(store, exit_wait: float = 0.5, ticks: int = 3) -> Outcome:
    """Delete a finished run whose process is still exiting, under a local executor.

    First while the process lives (the delete must be refused), then in the moment after it
    exited but before the executor looked (the delete goes through). Ok when the executor's
    next ticks raise nothing, start the run queued next (with a new id), and it goes idle.
    """
    from paretolab import processes
    from paretolab.errors import UserError
    from paretolab.executors import launcher
    from paretolab.executors.local import LocalExecutor

    ex = LocalExecutor(store)
    run_id = store.create_run({}, "exiting", "classification").id
    proc = _start_exiting_process(store, run_id, 60)
    ex._children[run_id] = proc  # the executor started it
    try:
        store.delete_run(run_id, wait_seconds=exit_wait)
        refused = "deleted"
    except UserError as exc:
        refused = "refused" if "still exiting" in str(exc) else f"error: {exc}"
    os.killpg(proc.pid, signal.SIGKILL)  # it exits; the executor has not polled it yet
    wait_for(lambda: not processes.alive(proc.pid), 10, "the process to exit")
    store.delete_run(run_id, wait_seconds=exit_wait)
    next_id = store.create_run({}, "next", "classification").id
    errors, started = [], []
    for _ in range(ticks):
        try:
            started += ex.tick()
        except Exception as exc:  # what wedged the executor
            errors.append(type(exc).__name__)
    for pid in [store.get_run(i).pid for i in started]:
        launcher.signal_group(pid, signal.SIGKILL)  # it would train an empty config
    wait_for(lambda: (ex.tick(), not ex.busy())[1], 30, "the executor to go idle")
    ok = refused == "refused" and not errors and started == [next_id] and next_id > run_id
    return Outcome(
        "delete a run whose process is still exiting",
        "refused while it lives; executor carries on; ids not reused",
        f"delete while alive {refused}; {len(errors)} failed ticks {sorted(set(errors))}; "
        f"next run id {next_id} (deleted {run_id}) started: {started == [next_id]}",
        ok,
    )


def password_in_argv(store, workers: int = 2) -> Outcome:
    """Start what paretolab starts in the background — sweep workers, the executor, a
    training process — for a store whose URL holds a password, and read each one's command
    line as ``ps`` shows it to every user of the machine.

    Ok when no command line holds the password and each worker got its storage URL through
    its environment (readable by its own user only).
    """
    import sqlalchemy as sa

    from paretolab import settings
    from paretolab.executors import launcher, local
    from paretolab.executors.local import LocalExecutor
    from sweeps.worker import spawn_workers

    password = sa.make_url(store.url).password
    assert password, "the scenario needs a store URL with a password"
    children: list[int] = []
    procs: list[subprocess.Popen] = []
    try:
        procs = spawn_workers("argv-check", store.url, workers, store)
        children += [p.pid for p in procs]
        reached = sum(store.url in _environ(p.pid) for p in procs)
        run_id = store.create_run({}, "argv-check", "classification").id
        LocalExecutor(store).tick()
        children.append(store.get_run(run_id).pid)
        local.ensure_executor(store)
        children.append(wait_for_pid_file(settings.home_dir() / "executor.pid"))
        leaked = [pid for pid in children if password in _cmdline(pid)]
    finally:
        for pid in children:
            launcher.signal_group(pid, signal.SIGKILL)
        for p in procs:
            p.wait(timeout=30)
    return Outcome(
        "a database password and the command lines of child processes",
        "in no command line; workers get the URL by environment",
        f"{len(leaked)}/{len(children)} command lines (workers, training, executor) hold "
        f"it; {reached}/{workers} workers have the URL in their environment",
        not leaked and reached == workers and len(children) == workers + 2,
    )


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _environ(pid: int) -> str:
    return Path(f"/proc/{pid}/environ").read_bytes().replace(b"\0", b"\n").decode()


def wait_for_pid_file(pid_file: Path) -> int:
    """The pid in ``pid_file``, once a starting process has written it."""
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 60, str(pid_file))
    return int(pid_file.read_text())
