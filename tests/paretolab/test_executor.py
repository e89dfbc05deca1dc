"""The local executor: FIFO queue under a concurrency limit, cancel with escalation."""

import os
import signal
import subprocess
import sys
import time

import pytest

from paretolab.executors import launcher, local, training_process
from paretolab.executors.local import LocalExecutor
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


@pytest.fixture
def fake_training(monkeypatch):
    """Training processes that sleep (and honour SIGTERM by marking the run cancelled)."""
    script = (
        "import os, signal, sys, time;"
        "from paretolab.store import RunStore;"
        "s = RunStore(); rid = int(sys.argv[-1]);"
        "signal.signal(signal.SIGTERM, lambda *a: (s.mark_cancelled(rid), sys.exit(130)));"
        "s.mark_running(rid, os.getpid());"
        "ready = os.environ.get('FAKE_TRAIN_READY'); ready and open(ready, 'w').close();"
        "time.sleep(float(os.environ.get('FAKE_TRAIN_SECONDS', '30'))); s.mark_finished(rid)"
    )
    monkeypatch.setattr(
        launcher, "train_argv", lambda run_id: [sys.executable, "-c", script, str(run_id)]
    )


def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def stop_all(store: RunStore) -> None:
    for run in store.list_runs(["running"]):
        launcher.signal_group(run.pid, signal.SIGKILL)


@pytest.mark.slow
def test_queue_is_fifo_under_the_concurrency_limit(store, fake_training, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_TRAIN_SECONDS", "1")
    ids = [queue_run(store, tiny_config()) for _ in range(3)]
    ex = LocalExecutor(store, max_concurrent=2)
    try:
        assert ex.tick() == ids[:2]
        assert ex.tick() == []  # no free slot
        wait_until(lambda: store.get_run(ids[0]).status == "finished")
        wait_until(lambda: ex.tick() == [ids[2]] or store.get_run(ids[2]).status != "queued")
        wait_until(lambda: (ex.tick(), store.get_run(ids[2]).status)[1] == "finished")
    finally:
        stop_all(store)
    assert [store.get_run(i).status for i in ids] == ["finished"] * 3


def test_cancel_request_stops_the_process_group(
    store, fake_training, tmp_path, monkeypatch
) -> None:
    ready = tmp_path / "handler-installed"
    monkeypatch.setenv("FAKE_TRAIN_READY", str(ready))
    run_id = queue_run(store, tiny_config())
    ex = LocalExecutor(store, max_concurrent=1, grace_seconds=10)
    try:
        ex.tick()
        wait_until(ready.exists)  # the child's SIGTERM handler is in place
        assert store.request_cancel(run_id)
        ex.tick()
        wait_until(lambda: (ex.tick(), store.get_run(run_id).status)[1] == "cancelled")
    finally:
        stop_all(store)


def test_a_process_ignoring_sigterm_is_killed_after_the_grace_period(store, monkeypatch) -> None:
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    monkeypatch.setattr(launcher, "train_argv", lambda run_id: [sys.executable, "-c", stubborn])
    run_id = queue_run(store, tiny_config())
    ex = LocalExecutor(store, max_concurrent=1, grace_seconds=0.5)
    ex.tick()
    proc = ex._children[run_id]
    time.sleep(1.0)  # let it start ignoring SIGTERM
    store.request_cancel(run_id)
    ex.tick()  # SIGTERM (ignored)
    time.sleep(0.7)
    ex.tick()  # past the grace period: SIGKILL
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert store.get_run(run_id).status == "cancelled"


def test_a_child_that_dies_is_marked_failed(store, monkeypatch) -> None:
    monkeypatch.setattr(
        launcher, "train_argv", lambda run_id: [sys.executable, "-c", "raise SystemExit(3)"]
    )
    run_id = queue_run(store, tiny_config())
    ex = LocalExecutor(store)
    ex.tick()
    ex._children[run_id].wait(timeout=10)
    ex.tick()
    assert "exit code 3" in store.get_run(run_id).error


def test_only_one_executor_per_home(home) -> None:
    assert not local.executor_running()
    fd = local._try_lock()
    try:
        assert local.executor_running()
        done = subprocess.run(
            [sys.executable, "-m", "paretolab.executors.local"],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )
        assert done.returncode == 0 and "already serves" in done.stderr
    finally:
        os.close(fd)


def test_a_run_claimed_by_a_foreground_launcher_is_not_started_again(store, fake_training) -> None:
    run_id = queue_run(store, tiny_config())
    assert store.claim(run_id)
    assert LocalExecutor(store).tick() == []


def test_a_live_local_process_is_never_reaped_for_a_late_heartbeat(store) -> None:
    run_id = queue_run(store, tiny_config())
    store.mark_running(run_id, pid=os.getpid())
    assert launcher.reap_orphans(store, stale_after=-1) == []
    assert store.get_run(run_id).status == "running"


def test_a_process_killed_after_a_cancel_request_ends_cancelled(store) -> None:
    run_id = queue_run(store, tiny_config())
    store.claim(run_id)
    store.request_cancel(run_id)
    launcher.settle_exit(store, run_id, -signal.SIGTERM)
    assert store.get_run(run_id).status == "cancelled"


def test_an_old_folder_with_the_same_run_id_is_moved_aside(store, home) -> None:
    from paretolab import settings

    stale = settings.run_dir(1)
    stale.mkdir(parents=True)
    (stale / "tokenizer.json").write_text("{}")  # left by a deleted run 1
    run = store.get_run(queue_run(store, tiny_config()))
    folder = training_process.prepare_run_dir(run)
    assert folder == stale and not (folder / "tokenizer.json").exists()
    assert [p.name.startswith("1.orphaned-") for p in stale.parent.iterdir() if p != stale] == [
        True
    ]
    (folder / "output.log").write_text("mine")
    assert (
        training_process.prepare_run_dir(run) / "output.log"
    ).read_text() == "mine"  # same run: kept


def test_a_queued_sweep_trial_is_left_to_its_sweep_worker(store, fake_training) -> None:
    config = tiny_config()
    trial = store.create_run(
        config.model_dump(mode="json"), "s#0", config.task, study="s", trial_number=0
    ).id
    plain = queue_run(store, config)
    ex = LocalExecutor(store, max_concurrent=2)
    try:
        assert ex.tick() == [plain]
    finally:
        stop_all(store)
    assert store.get_run(trial).status == "queued"
