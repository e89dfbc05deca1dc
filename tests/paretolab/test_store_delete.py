"""Deleting runs: ids are never reused, and a run whose process lives is not deleted."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from paretolab.errors import UserError
from paretolab.store import RunStore, database


@pytest.fixture
def store(any_store: RunStore) -> RunStore:
    """Every test here runs on SQLite and on a real PostgreSQL server."""
    return any_store


def new_run(store: RunStore, name: str = "r") -> int:
    return store.create_run({}, name, "classification").id


def test_the_id_of_a_deleted_newest_run_is_never_given_again(store: RunStore) -> None:
    first, newest = new_run(store), new_run(store)
    store.delete_run(newest)
    assert new_run(store) > newest > first


def test_upgrading_keeps_run_ids_and_then_never_reuses_them(store: RunStore) -> None:
    ids = [new_run(store, name) for name in "abc"]
    database.downgrade(store.engine, "0007")  # before AUTOINCREMENT on SQLite
    database.upgrade(store.engine)
    assert [r.name for r in map(store.get_run, ids)] == ["a", "b", "c"]
    store.delete_run(ids[-1])
    assert new_run(store) > ids[-1]


@pytest.fixture
def exiting_process(store: RunStore):
    """A run that recorded its end on this host while its training process still runs."""
    run_id = new_run(store)
    # Its command line names the run, as launcher.train_argv's does.
    argv = [sys.executable, "-c", "import time; time.sleep(60)", "--run-id", str(run_id)]
    proc = subprocess.Popen(argv, start_new_session=True)
    assert store.claim(run_id, host=socket.gethostname())
    store.set_pid(run_id, proc.pid)
    store.mark_finished(run_id)
    yield run_id, proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_a_run_whose_process_is_still_exiting_is_not_deleted(store, exiting_process) -> None:
    run_id, _proc = exiting_process
    with pytest.raises(UserError, match=f"run {run_id} is finished but its process .* exiting"):
        store.delete_run(run_id, wait_seconds=0.3)
    assert store.get_run(run_id).status == "finished"  # still there


def test_a_delete_waits_for_the_process_to_exit(store, exiting_process) -> None:
    run_id, proc = exiting_process
    os.killpg(proc.pid, signal.SIGTERM)  # exits within the wait; nobody has waited for it yet
    store.delete_run(run_id, wait_seconds=10)
    assert [r.id for r in store.list_runs()] == []


def test_a_running_run_is_refused_by_the_store_itself(store: RunStore) -> None:
    run_id = new_run(store)
    store.mark_running(run_id, pid=os.getpid())
    with pytest.raises(UserError, match=f"run {run_id} is running: cancel it before deleting"):
        store.delete_run(run_id)
    assert store.get_run(run_id).status == "running"


def test_a_pid_reused_by_another_program_does_not_block_a_delete(store: RunStore) -> None:
    run_id = new_run(store)
    store.mark_running(run_id, pid=os.getpid())  # this test process: alive, trains no run
    store.mark_finished(run_id)
    store.delete_run(run_id, wait_seconds=0)
    assert store.list_runs() == []
