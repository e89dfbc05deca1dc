"""A run's life: finished, failed (with metrics kept), cancelled by SIGTERM, died unreported."""

import json
import os
import signal
import subprocess
import sys

import lightning.pytorch as pl
import pytest
import torch

from benchmarks.fault_scenarios import training_process, wait_for_steps
from lightning_modules.callbacks.checkpoints import AtomicCheckpointIO
from lightning_modules.callbacks.store_logger import StoreLogger
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.executors import launcher
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


class Boom(pl.Callback):
    """Raises inside training after a few steps, like a bug in user code would."""

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step >= 5:
            raise RuntimeError("boom at step 5")


@pytest.mark.slow
def test_a_run_that_finishes(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    assert run_training(store, run_id) == "finished"
    run = store.get_run(run_id)
    assert run.status == "finished" and run.pid == os.getpid() and run.ended_at
    latest = store.latest_metrics(run_id)
    for key in (
        "train_loss",
        "val_loss",
        "val_acc",
        "val_f1",
        "val_precision",
        "val_recall",
        "test_loss",
        "test_acc",
        "test_f1",
        "test_precision",
        "test_recall",
    ):
        assert key in latest, key
    assert 0.0 <= latest["test_acc"].value <= 1.0
    paths = {a.path for a in store.list_artifacts(run_id)}
    assert {
        "checkpoints/best.ckpt",
        "checkpoints/last.ckpt",
        "tokenizer.json",
        "config.yaml",
        "train.log",
    } <= paths
    ckpt = torch.load(settings.run_dir(run_id) / "checkpoints/last.ckpt", weights_only=True)
    assert ckpt["hyper_parameters"]["config"]["model"]["d_model"] == 32
    kinds = {a.path: a.kind for a in store.list_artifacts(run_id)}
    assert (
        kinds["confusion_matrix.json"] == "confusion_matrix"
        and kinds["tokenizer.json"] == "tokenizer"
    )
    doc = json.loads((settings.run_dir(run_id) / "confusion_matrix.json").read_text())
    assert doc["labels"] == ["business", "entertainment", "politics", "sports", "tech"]
    assert sum(map(sum, doc["matrix"])) == 30  # every test article counted once


def test_a_run_that_raises_is_failed_and_keeps_its_metrics(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("trainer.max_epochs=50"))
    assert run_training(store, run_id, extra_callbacks=[Boom()]) == "failed"
    run = store.get_run(run_id)
    assert run.status == "failed" and "RuntimeError: boom at step 5" in run.error
    steps = store.metric_history(run_id, "train_loss").steps
    assert steps and steps[-1] >= 2, "metrics logged before the crash were lost"


def test_an_unsupported_precision_fails_with_a_clear_message(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("trainer.precision=16-mixed", "hardware.accelerator=cpu"))
    assert run_training(store, run_id) == "failed"
    assert store.get_run(run_id).error == (
        "trainer.precision=16-mixed is not supported on CPU; use bf16-mixed or 32"
    )


def test_a_run_that_already_ended_is_not_restarted(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    store.mark_cancelled(run_id)
    from lightning_modules.run.lifecycle import RunAlreadyEnded

    with pytest.raises(RunAlreadyEnded, match="is cancelled"):
        run_training(store, run_id)


@pytest.mark.slow
def test_sigterm_checkpoints_and_cancels(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("trainer.max_epochs=10000"))
    with training_process(store, run_id) as proc:
        wait_for_steps(store, run_id, 3)
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 130
    run = store.get_run(run_id)
    assert run.status == "cancelled" and run.error is None
    ckpt = torch.load(settings.run_dir(run_id) / "checkpoints/last.ckpt", weights_only=True)
    assert ckpt["global_step"] >= store.metric_history(run_id, "train_loss").steps[-1]
    # The system-metrics sampler stopped with the run and stored its figures on the way out.
    assert "system/peak_rss_mb" in store.latest_metrics(run_id)


def test_a_run_whose_process_died_is_reaped(store: RunStore) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_id = queue_run(store, tiny_config())
    store.mark_running(run_id, pid=dead.pid)
    assert launcher.reap_orphans(store) == [run_id]
    assert "died without reporting" in store.get_run(run_id).error


def test_a_run_asked_to_cancel_whose_process_died_is_reaped_as_cancelled(
    store: RunStore,
) -> None:
    # A SIGTERM that lands before the trainer's handler is set kills the process outright.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_id = queue_run(store, tiny_config())
    store.mark_running(run_id, pid=dead.pid)
    store.request_cancel(run_id)
    assert launcher.reap_orphans(store) == [run_id]
    run = store.get_run(run_id)
    assert run.status == "cancelled" and run.error is None


def test_a_run_with_a_stale_heartbeat_is_reaped(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    store.mark_running(run_id, pid=os.getpid(), host="another-host")
    assert launcher.reap_orphans(store, stale_after=3600) == []
    assert launcher.reap_orphans(store, stale_after=-1) == [run_id]
    assert "no heartbeat from another-host" in store.get_run(run_id).error


def test_a_killed_foreground_run_is_marked_failed(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    store.mark_running(run_id, pid=12345)
    launcher.settle_exit(store, run_id, -signal.SIGKILL)
    assert (
        store.get_run(run_id).error
        == "training process ended (signal 9) without reporting an outcome"
    )


def test_cancelling_a_queued_run(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    assert launcher.cancel_run(store, run_id) == "cancelled"


class FlakyStore:
    """A store whose first writes fail, as when the database is briefly unreachable."""

    def __init__(self, failures: int):
        self.failures, self.points = failures, []

    def log_metrics(self, run_id, points):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database unreachable")
        self.points += list(points)


def test_store_logger_keeps_points_until_the_store_is_back() -> None:
    flaky = FlakyStore(failures=2)
    logger = StoreLogger(flaky, run_id=1, flush_every=2)
    logger.log_metrics({"loss": 1.0, "acc": torch.tensor(0.5)}, step=1)
    logger.log_metrics({"loss": 0.9}, step=2)
    assert flaky.points == []
    logger.finalize("success")
    assert [(k, s, v) for k, s, v, _ in flaky.points[:3]] == [
        ("loss", 1, 1.0),
        ("acc", 1, 0.5),
        ("loss", 2, 0.9),
    ]
    # Then the outage itself (lightning_modules.callbacks.store_outage), at the first step that waited.
    outage = {k: (s, v) for k, s, v, _ in flaky.points[3:]}
    assert outage["system/db_outage_points"] == (1, 3.0) and "system/db_outage_s" in outage


def test_atomic_checkpoint_io_replaces_whole_files(tmp_path) -> None:
    io = AtomicCheckpointIO()
    path = tmp_path / "ckpts" / "last.ckpt"
    io.save_checkpoint({"step": 1}, path)
    io.save_checkpoint({"step": 2}, path)
    assert torch.load(path, weights_only=True) == {"step": 2}
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]


def test_store_logger_drops_points_the_store_refuses() -> None:
    class Refusing:
        def log_metrics(self, run_id, points):
            raise ValueError("key too long")

    logger = StoreLogger(Refusing(), run_id=1, flush_every=1)
    logger.log_metrics({"x" * 300: 1.0}, step=1)
    assert logger._buffer == []  # dropped, so later points are not blocked behind it


class PrunedHere(Exception):
    """Stands for optuna.TrialPruned (this package imports no optuna)."""


class PruneAtStep3(pl.Callback):
    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step >= 3:
            raise PrunedHere("pruned at step 3")


def test_a_run_stopped_by_a_pruner_ends_pruned_with_its_metrics(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("trainer.log_every_n_steps=1"))
    status = run_training(store, run_id, [PruneAtStep3()], pruned_exceptions=(PrunedHere,))
    assert status == "pruned"
    run = store.get_run(run_id)
    assert run.status == "pruned" and run.error is None
    assert len(store.metric_history(run_id, "train_loss")) >= 2  # the partial curve is kept
