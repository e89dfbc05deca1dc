"""Stop signals inside the training process: a requeued run's outcome, a refused requeue."""

from __future__ import annotations

import os
import signal

import lightning.pytorch as pl
import pytest

from lightning_modules.run.lifecycle import RunLifecycle
from lightning_modules.run.stop_signals import SlurmRequeued
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


def test_a_requeued_slurm_job_puts_its_run_back_in_the_queue(store: RunStore, tmp_path) -> None:
    run_id = queue_run(store, tiny_config())
    with RunLifecycle(store, run_id, tmp_path):
        raise SlurmRequeued("Slurm job 7 requeued at step 12")
    run = store.get_run(run_id)
    assert run.status == "queued" and run.pid is None and run.error is None
    with RunLifecycle(store, run_id, tmp_path):
        store.request_cancel(run_id)  # a cancel while the job requeues: the cancel wins
        raise SlurmRequeued("Slurm job 7 requeued at step 20")
    assert store.get_run(run_id).status == "cancelled"


@pytest.mark.slow
def test_a_requeue_slurm_refuses_trains_on(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """USR1 in a job whose `scontrol requeue` fails: the checkpoint is written, training
    goes on to its end (the time limit would end the job)."""
    for key, value in {
        "SLURM_NTASKS": "1",
        "SLURM_NTASKS_PER_NODE": "1",
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NAME": "pl-1-tiny",
        "SLURM_PROCID": "0",
        "SLURM_LOCALID": "0",
        "SLURM_NODEID": "0",
        "SLURM_NODELIST": "localhost",
    }.items():
        monkeypatch.setenv(key, value)
    scontrol = tmp_path / "bin" / "scontrol"
    scontrol.parent.mkdir()
    scontrol.write_text("#!/bin/sh\necho 'Invalid job id specified' >&2\nexit 1\n")
    scontrol.chmod(0o755)
    monkeypatch.setenv("PATH", f"{scontrol.parent}:{os.environ['PATH']}")
    config = tiny_config("hardware.accelerator=cpu", "trainer.max_steps=8")
    run_id = queue_run(store, config)
    assert run_training(store, run_id, [SignalAt(3, signal.SIGUSR1)]) == "finished"
    log = (settings.run_dir(run_id) / "train.log").read_text()
    assert "scontrol requeue 4242 failed: Invalid job id specified" in log
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL  # the handler is gone again


class SignalAt(pl.Callback):
    """Sends this process a signal after a training step."""

    def __init__(self, step: int, signum: int):
        self.step, self.signum = step, signum

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)
