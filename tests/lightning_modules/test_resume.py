"""`paretolab runs resume`: a cancelled run continues from its last checkpoint, state and all."""

from __future__ import annotations

import os
import random
import signal

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from lightning_modules.callbacks.checkpoints import RngState
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.cli import main
from paretolab.executors import launcher
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


class SigtermAtStep(pl.Callback):
    """Sends this process SIGTERM at a step, as `paretolab runs cancel` would."""

    def __init__(self, step: int):
        self.step = step

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGTERM)


class StartProbe(pl.Callback):
    """Records the state training starts from."""

    def on_train_start(self, trainer, pl_module) -> None:
        optimizer = trainer.optimizers[0]
        self.global_step = trainer.global_step
        self.optimizer_steps = {int(s["step"]) for s in optimizer.state.values()}
        self.exp_avg = next(iter(optimizer.state.values()))["exp_avg"].clone()
        self.scheduler_epoch = trainer.lr_scheduler_configs[0].scheduler.last_epoch


@pytest.mark.slow
def test_a_cancelled_run_resumes_with_its_step_optimiser_and_scheduler(store: RunStore) -> None:
    run_id = queue_run(
        store,
        tiny_config(
            "trainer.max_epochs=1000", "trainer.max_steps=14", "trainer.log_every_n_steps=1"
        ),
    )
    assert run_training(store, run_id, [SigtermAtStep(6)]) == "cancelled"
    ckpt_path = settings.run_dir(run_id) / "checkpoints" / "last.ckpt"
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert ckpt["global_step"] == 6
    assert "RngState" in ckpt["callbacks"]

    launcher.requeue_for_resume(store, run_id)
    assert store.get_run(run_id).status == "queued"
    probe = StartProbe()
    assert run_training(store, run_id, [probe]) == "finished"
    assert probe.global_step == 6
    saved = ckpt["optimizer_states"][0]["state"]
    assert probe.optimizer_steps == {int(s["step"]) for s in saved.values()} == {6}
    assert torch.equal(probe.exp_avg, next(iter(saved.values()))["exp_avg"])
    assert probe.scheduler_epoch == ckpt["lr_schedulers"][0]["last_epoch"]
    steps = store.metric_history(run_id, "train_loss").steps
    assert steps == sorted(set(steps)) and steps[-1] >= 13  # one curve, continued, no repeats
    assert store.get_run(run_id).error is None


def test_rng_state_round_trips_through_a_weights_only_checkpoint(tmp_path) -> None:
    callback = RngState()
    torch.manual_seed(1), np.random.seed(1), random.seed(1)
    torch.save(callback.state_dict(), tmp_path / "rng.pt")
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(2), np.random.seed(2), random.seed(2)
    callback.load_state_dict(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])
    assert random.random() == expected[2]


@pytest.mark.parametrize(
    "status, message",
    [
        ("finished", "only a cancelled or failed run resumes"),
        ("cancelled", "has no checkpoint to resume from"),
        ("trial", "resume the sweep instead"),
    ],
)
def test_resume_refuses_what_it_cannot_continue(store, status, message, capsys) -> None:
    if status == "trial":
        config = tiny_config()
        run_id = store.create_run(
            config.model_dump(mode="json"), "t", config.task, study="s1", trial_number=3
        ).id
        status = "cancelled"
    else:
        run_id = queue_run(store, tiny_config())
    store.mark_running(run_id, pid=os.getpid())
    store.mark_finished(run_id) if status == "finished" else store.mark_cancelled(run_id)
    assert main(["runs", "resume", str(run_id)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert store.get_run(run_id).status == status  # nothing changed
