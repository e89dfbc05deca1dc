"""Deleting several runs from the dashboard: one run still exiting does not stop the rest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from dashboard import services
from paretolab.errors import UserError
from paretolab.store import runstore
from tests.conftest import queue_run, tiny_config


def test_a_run_still_exiting_is_refused_and_the_others_are_deleted(monkeypatch) -> None:
    monkeypatch.setattr(runstore, "EXIT_WAIT_SECONDS", 0.2)
    store = services.store()
    done, exiting, other = (queue_run(store, tiny_config()) for _ in range(3))
    argv = [sys.executable, "-c", "import time; time.sleep(60)", "--run-id", str(exiting)]
    proc = subprocess.Popen(argv, start_new_session=True)
    try:
        for run_id in (done, exiting, other):
            assert store.claim(run_id, host=socket.gethostname())
            store.set_pid(run_id, proc.pid if run_id == exiting else 0)
            store.mark_finished(run_id)
        with pytest.raises(UserError, match=f"2 of 3 deleted; run {exiting} is finished"):
            services.delete_runs([done, exiting, other])
        assert [r.id for r in store.list_runs()] == [exiting]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
