"""Fault cases of issue 18: a run deleted while its process exits, a database password in
``ps``, and a database outage told to the run (benchmarks/hardening_scenarios.py)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from benchmarks import hardening_scenarios as hardening
from lightning_modules.callbacks.store_logger import StoreLogger
from lightning_modules.callbacks.store_outage import OUTAGE_POINTS, OUTAGE_SECONDS
from paretolab.executors import launcher
from paretolab.executors.local import LocalExecutor
from paretolab.store import RunStore
from paretolab.store import database as db


def test_deleting_a_run_whose_process_is_exiting_never_wedges_the_executor(
    store: RunStore,
) -> None:
    outcome = hardening.delete_while_exiting(store, exit_wait=0.3)
    assert outcome.ok, outcome.observed


def test_the_executor_forgets_a_child_whose_run_was_deleted(store: RunStore, monkeypatch) -> None:
    # The bare race, without the store's check: the run vanished before its child ended.
    ex = LocalExecutor(store)
    gone = store.create_run({}, "gone", "classification").id

    class Ended:
        def poll(self) -> int:
            return 0

    ex._children[gone] = Ended()
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM runs WHERE id = {gone}")
    monkeypatch.setattr(launcher, "spawn_detached", lambda s, run_id: None)
    ex.tick()
    assert ex._children == {} and not ex.busy()


def test_no_child_process_has_the_database_password_in_its_command_line(
    home, postgres, monkeypatch
) -> None:
    # The test server trusts loopback: the password is accepted and never checked.
    url = sa.make_url(postgres.new_database()).set(password="s3cret-Pw0rd")
    store = RunStore(url.render_as_string(hide_password=False))
    outcome = hardening.password_in_argv(store, workers=2)
    db.dispose_engine(store.url)
    assert outcome.ok, outcome.observed


class FlakyStore:
    """A store whose database is down for the first ``down`` writes."""

    def __init__(self, store: RunStore, down: int, then_refuse: int = 0):
        self.store, self.down, self.refuse = store, down, then_refuse

    def log_metrics(self, run_id: int, points: list) -> None:
        if self.down > 0:
            self.down -= 1
            raise sa_exc.OperationalError("INSERT", {}, ConnectionError("connection refused"))
        if self.refuse > 0:  # back, but this batch is rejected (not a connection problem)
            self.refuse -= 1
            raise ValueError("a value the store refuses")
        self.store.log_metrics(run_id, points)


def test_a_database_outage_is_written_to_the_run_log_and_stored_with_the_run(
    store: RunStore, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = store.create_run({}, "outage", "classification").id
    # Writes fail at steps 1, 2 and 3 (a flush every 2 points); step 4's writes all 5.
    logger = StoreLogger(FlakyStore(store, down=3), run_id, flush_every=2, flush_seconds=60)
    with caplog.at_level(logging.WARNING, logger="lightning_modules.callbacks"):
        for step in range(10):
            logger.log_metrics({"train_loss": 1.0 / (step + 1)}, step=step)
        logger.finalize("success")
    lines = [r.getMessage() for r in caplog.records if "database unreachable from" in r.message]
    assert len(lines) == 1 and "5 metric points waited" in lines[0], lines
    latest = store.latest_metrics(run_id)
    assert latest[OUTAGE_POINTS].value == 5 and latest[OUTAGE_POINTS].step == 0
    assert 0 <= latest[OUTAGE_SECONDS].value < 60
    assert len(store.metric_history(run_id, "train_loss")) == 10


def test_an_outage_whose_waiting_points_are_then_refused_does_not_claim_them_stored(
    store: RunStore, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = store.create_run({}, "outage", "classification").id
    logger = StoreLogger(FlakyStore(store, down=1, then_refuse=1), run_id, flush_every=2)
    with caplog.at_level(logging.WARNING, logger="lightning_modules.callbacks"):
        for step in range(4):
            logger.log_metrics({"train_loss": 1.0 / (step + 1)}, step=step)
        logger.finalize("success")
    lines = [r.getMessage() for r in caplog.records if "database unreachable from" in r.message]
    assert len(lines) == 1, lines
    assert "3 metric points waited, and the store refused them" in lines[0], lines[0]
    assert "now stored" not in lines[0]


# A real outage (PostgreSQL behind a proxy that cuts the line) is
# tests/faults/test_faults.py::test_a_database_outage_mid_run_loses_no_metric: its scenario
# also checks the outage's log line and stored length.
