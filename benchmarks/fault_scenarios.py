"""Fault scenarios, each a function that provokes one failure and reports what it observed.

The tests (tests/faults/) assert on these outcomes; ``benchmarks/faults.py`` runs them at
full size and prints scenario → expected → observed. One implementation serves both, so the
table shows exactly what the tests check.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import REPO


@dataclass
class Outcome:
    """What a scenario promised and what it saw."""

    scenario: str
    expected: str
    observed: str
    ok: bool


# A worker process for the concurrent-writes scenario: writes `points` metric points for
# its own key in batches of `batch`, then writes its first batch again (a retry after a
# lost acknowledgement must not duplicate rows).
_WRITER = """
import sys, time
from paretolab.store import RunStore
url, run_id, worker, points, batch = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
store = RunStore(url)
key = f"worker{worker}/loss"
rows = [(key, step, step * 0.5, time.time()) for step in range(points)]
for i in range(0, points, batch):
    store.log_metrics(run_id, rows[i:i + batch])
store.log_metrics(run_id, rows[:batch])
"""


def concurrent_metric_writes(
    url: str, processes: int = 8, points: int = 1000, batch: int = 1
) -> Outcome:
    """``processes`` processes each write ``points`` points to one run at once.

    Returns an outcome that is ok when the run holds exactly processes × points rows, one
    per (key, step), each with the value its writer sent.
    """
    from paretolab.store import RunStore
    from paretolab.store.metric_blocks import stored_points

    store = RunStore(url)
    run_id = store.create_run({}, "concurrent-writes", "classification", []).id
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, url, str(run_id), str(w), str(points), str(batch)],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(processes)
    ]
    errors = [p.communicate(timeout=600)[1] for p in procs if p.wait(timeout=600) != 0]
    with store.engine.connect() as conn:
        rows = stored_points(conn, run_id)
    distinct = {(k, s) for k, s, _ in rows}
    wrong = sum(1 for _, s, v in rows if v != s * 0.5)
    expected = processes * points
    backend = url.split(":", 1)[0].split("+")[0]
    observed = (
        f"{len(rows)} rows, {len(distinct)} distinct, {wrong} wrong values, "
        f"{len(errors)} writers failed"
    )
    ok = not errors and len(rows) == len(distinct) == expected and not wrong
    if errors:
        observed += f": {errors[0].strip().splitlines()[-1]}"
    return Outcome(
        f"{processes} processes × {points} metric writes ({backend})",
        f"{expected} rows, no duplicates",
        observed,
        ok,
    )


def wait_for(predicate, timeout: float, what: str) -> float:
    """Poll ``predicate`` until true; return the seconds waited (AssertionError on timeout)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextlib.contextmanager
def training_process(store, run_id: int):
    """The queued run ``run_id`` trained by its own process, as the executor starts it
    (its own session, so signals reach the whole group); killed on the way out if alive."""
    from paretolab.executors import launcher
    from paretolab.executors.training_process import child_env

    proc = subprocess.Popen(
        launcher.train_argv(run_id),
        env=child_env(store),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def wait_for_steps(store, run_id: int, steps: int, key: str = "train_loss") -> None:
    """Wait (up to 3 minutes) until the run has logged ``steps`` points of ``key``."""
    wait_for(lambda: len(store.metric_history(run_id, key)) >= steps, 180, f"{steps} {key} points")


def queue_endless_tiny_run(store, *overrides: str) -> int:
    """Queue the tiny config, training until stopped (or ``overrides`` say otherwise),
    logging every step; return its id."""
    from paretolab.config.io import load_config

    config = load_config(
        REPO / "configs" / "tiny.yaml",
        [
            "wandb.mode=disabled",
            "trainer.max_epochs=10000",
            "trainer.log_every_n_steps=1",
            *overrides,
        ],
    )
    return store.create_run(
        config.model_dump(mode="json"), config.display_name(), config.task, config.tags
    ).id


def sigkill_training(store, run_id: int, reap_bound: float = 5.0) -> Outcome:
    """Start the queued run ``run_id`` as a training process, SIGKILL it once it has logged
    training steps, then let the reaper find it. Ok when the run is failed within
    ``reap_bound`` seconds of the kill and the metrics logged before it are kept."""
    from paretolab.executors import launcher

    with training_process(store, run_id) as proc:
        wait_for_steps(store, run_id, 2)
        logged = len(store.metric_history(run_id, "train_loss"))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        killed_at = time.monotonic()
    # The executor calls the reaper every tick (about once a second); so does `runs list`.
    while store.get_run(run_id).status == "running" and time.monotonic() - killed_at < reap_bound:
        launcher.reap_orphans(store)
        time.sleep(0.2)
    took = time.monotonic() - killed_at
    run = store.get_run(run_id)
    kept = len(store.metric_history(run_id, "train_loss"))
    return Outcome(
        "SIGKILL a training process",
        f"failed within {reap_bound:.0f} s, metrics kept",
        f"{run.status} after {took:.1f} s; {kept} train_loss points kept ({logged} before the kill)",
        run.status == "failed" and took <= reap_bound and kept >= logged,
    )


def sigterm_then_resume(store, max_steps: int = 60, term_after: int = 10) -> Outcome:
    """Train a tiny run as its own process, SIGTERM it (as `paretolab runs cancel` does) after
    ``term_after`` logged steps, then `paretolab runs resume` it in the foreground.

    Ok when the run ends cancelled with a ``last.ckpt`` at the step it stopped, the resumed
    process starts from that step and finishes at ``max_steps``, and its loss curve is one
    curve: every step once. (tests/lightning_modules/test_resume.py checks in-process that
    the optimiser, scheduler and RNG states are the saved ones.)
    """
    import torch

    from paretolab import settings
    from paretolab.executors.training_process import child_env

    run_id = queue_endless_tiny_run(store, f"trainer.max_steps={max_steps}")
    with training_process(store, run_id) as proc:
        wait_for_steps(store, run_id, term_after)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=120)
    status_after_term = store.get_run(run_id).status
    ckpt = settings.run_dir(run_id) / "checkpoints" / "last.ckpt"
    saved_step = int(torch.load(ckpt, weights_only=True)["global_step"]) if ckpt.is_file() else -1
    logged_before = store.metric_history(run_id, "train_loss").steps
    resume = subprocess.run(
        [sys.executable, "-m", "paretolab.cli", "runs", "resume", str(run_id)],
        env=child_env(store),
        capture_output=True,
        text=True,
        timeout=600,
    )
    steps = store.metric_history(run_id, "train_loss").steps
    resumed_from = next((s for s in steps if s not in set(logged_before)), None)
    final = store.get_run(run_id).status
    ok = (
        status_after_term == "cancelled"
        and saved_step >= max(logged_before, default=0)
        and resume.returncode == 0
        and final == "finished"
        and steps == sorted(set(steps))
        and steps[-1] == max_steps - 1
        and resumed_from is not None
        and resumed_from >= saved_step
    )
    return Outcome(
        "SIGTERM a training process, then `paretolab runs resume`",
        "checkpoint at the step boundary; resumes from that step, one curve",
        f"{status_after_term}, last.ckpt at step {saved_step} (last logged "
        f"{max(logged_before, default=-1)}); resume exit {resume.returncode}, {final}, "
        f"first new step {resumed_from}, {len(steps)} steps, "
        f"{len(steps) - len(set(steps))} repeated",
        ok,
    )


def _write_checkpoints_forever(path: Path, step: int) -> None:
    """In a forked child: write ``last.ckpt`` again and again with the atomic checkpoint IO,
    each a few MB, so that a kill at a random moment usually lands inside a write."""
    import torch

    from lightning_modules.callbacks.checkpoints import AtomicCheckpointIO

    torch.set_num_threads(1)  # the parent's OpenMP pool does not survive a fork
    io, weights = AtomicCheckpointIO(), torch.ones(250_000)
    while True:
        step += 1
        io.save_checkpoint({"global_step": step, "weights": weights * step}, path)


def sigkill_during_checkpoint_writes(folder: Path, repeats: int = 20) -> Outcome:
    """Kill a process writing checkpoints ``repeats`` times at random moments; after each
    kill ``last.ckpt`` must load with ``weights_only=True`` and be whole.

    The writer is forked from this process (torch already imported), so each of the
    ``repeats`` writers starts writing at once.
    """
    import torch

    from lightning_modules.callbacks.checkpoints import AtomicCheckpointIO

    path = Path(folder) / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"global_step": 0, "weights": torch.zeros(1)}, path)
    rng = random.Random(0)
    loaded = mid_write = step = 0
    for _ in range(repeats):
        pid = os.fork()
        if pid == 0:  # the child never returns into the caller's code
            try:
                _write_checkpoints_forever(path, step)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.05, 0.4))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        mid_write += any(p.name.endswith(".tmp") for p in path.parent.iterdir())
        ckpt = torch.load(path, weights_only=True)
        step = int(ckpt["global_step"])
        loaded += step == 0 or bool(torch.all(ckpt["weights"] == step))  # whole, not torn
        for leftover in path.parent.glob(".*.tmp"):
            leftover.unlink()  # a killed writer's temporary file; never read
    return Outcome(
        f"SIGKILL during checkpoint writes × {repeats}",
        "the previous last.ckpt loads every time",
        f"{loaded}/{repeats} loads whole ({mid_write} kills landed mid-write)",
        loaded == repeats,
    )


def database_outage(
    server_port: int, database_url: str, outage_s: float = 30.0, steps_per_s: float = 20.0
) -> Outcome:
    """A training loop logs a metric every step through ``StoreLogger`` to PostgreSQL behind
    a proxy; the line is cut for ``outage_s`` seconds mid-run. Ok when no step waited on the
    database, afterwards the store holds every point once, and the run tells of the outage:
    one line in its log, its length stored (``lightning_modules.callbacks.store_outage``)."""
    from benchmarks.tcp_proxy import CuttableProxy
    from lightning_modules.callbacks.store_logger import StoreLogger
    from lightning_modules.callbacks.store_outage import OUTAGE_SECONDS
    from paretolab.store import RunStore
    from paretolab.store import database as db
    from paretolab.store.metric_blocks import stored_points

    proxy = CuttableProxy(server_port)
    url = database_url.replace(f":{server_port}/", f":{proxy.port}/")
    store = RunStore(url)
    run_id = store.create_run({}, "outage", "classification", []).id
    logger = StoreLogger(store, run_id, flush_every=10, flush_seconds=1.0)
    told = _Lines("database unreachable from")  # the line the run's log gets
    logging.getLogger("lightning_modules.callbacks").addHandler(told)
    period = 1.0 / steps_per_s
    before = after = max(2.0, outage_s / 3)
    step, slowest = 0, 0.0
    try:
        for phase, seconds in (("before", before), ("cut", outage_s), ("after", after)):
            if phase == "cut":
                proxy.cut()
            elif phase == "after":
                proxy.restore()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                start = time.monotonic()
                logger.log_metrics({"train_loss": 1.0 / (step + 1)}, step=step)
                slowest = max(slowest, time.monotonic() - start)
                step += 1
                time.sleep(period)
        logger.finalize("success")
        landed = not logger._buffer
        direct = RunStore(database_url)
        with direct.engine.connect() as conn:
            steps = [s for key, s, _ in stored_points(conn, run_id) if key == "train_loss"]
        recorded = direct.latest_metrics(run_id).get(OUTAGE_SECONDS)
    finally:
        logging.getLogger("lightning_modules.callbacks").removeHandler(told)
        proxy.close()
        db.dispose_engine(url)
    lasted = recorded.value if recorded else -1.0
    # Writes fail from the first flush after the cut (flush_seconds=1) to the first after it
    # heals (reconnecting takes a moment).
    told_right = len(told.lines) == 1 and outage_s - 1.5 <= lasted <= outage_s + 10
    ok = landed and len(steps) == len(set(steps)) == step and slowest < 5.0 and told_right
    return Outcome(
        f"database unreachable for {outage_s:.0f} s mid-run",
        "training goes on; buffered metrics land after, no duplicates; the run tells",
        f"{step} steps logged, slowest {slowest:.2f} s; {len(steps)} rows, "
        f"{len(set(steps))} distinct; outage of {lasted:.1f} s stored, "
        f"{len(told.lines)} log line(s)",
        ok,
    )


class _Lines(logging.Handler):
    """Keeps the messages that mention ``needle``."""

    def __init__(self, needle: str):
        super().__init__(logging.WARNING)
        self.needle, self.lines = needle, []

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.lines.append(record.getMessage())
