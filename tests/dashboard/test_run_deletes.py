"""Deleting several runs from the dashboard: one run still exiting does not stop the rest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from dashboard.services import common
from dashboard.services import runs as run_services
from paretolab import limits
from paretolab.errors import UserError
from paretolab.store import run_edits
from tests.conftest import queue_run, tiny_config


def test_a_run_still_exiting_is_refused_and_the_others_are_deleted(monkeypatch) -> None:
    monkeypatch.setattr(run_edits, "EXIT_WAIT_SECONDS", 0.2)
    store = common.store()
    done, exiting, other = (queue_run(store, tiny_config()) for _ in range(3))
    argv = [sys.executable, "-c", "import time; time.sleep(60)", "--run-id", str(exiting)]
    proc = subprocess.Popen(argv, start_new_session=True)
    try:
        for run_id in (done, exiting, other):
            assert store.claim(run_id, host=socket.gethostname())
            store.set_pid(run_id, proc.pid if run_id == exiting else 0)
            store.mark_finished(run_id)
        with pytest.raises(UserError, match=f"2 of 3 deleted; run {exiting} is finished"):
            run_services.delete_runs([done, exiting, other])
        assert [r.id for r in store.list_runs()] == [exiting]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_a_tag_that_one_run_has_no_room_for_tags_no_run() -> None:
    store = common.store()
    roomy, full = (queue_run(store, tiny_config()) for _ in range(2))
    store.set_tags(full, [f"t{i}" for i in range(limits.MAX_TAGS)])
    with pytest.raises(UserError, match=f"run {full}: .*tags, at most .*no run was tagged"):
        run_services.add_tag([roomy, full], "new")
    assert "new" not in store.get_run(roomy).tags


def test_deleting_a_running_run_names_it_and_deletes_the_rest() -> None:
    store = common.store()
    running, done = (queue_run(store, tiny_config()) for _ in range(2))
    store.mark_running(running, pid=os.getpid())
    with pytest.raises(UserError, match=f"1 of 2 deleted; run {running} is running"):
        run_services.delete_runs([running, done])
    assert [r.id for r in store.list_runs()] == [running]
