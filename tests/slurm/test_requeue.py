"""A DDP run trained by a real Slurm job (two tasks, gloo): USR1 before the time limit
requeues it at a step boundary, and the requeued job resumes from its checkpoint to the end."""

from __future__ import annotations

import time

import pytest
import torch

from paretolab import settings
from paretolab.cli import main
from paretolab.executors import slurm
from paretolab.store import RunStore
from tests.conftest import TINY
from tests.slurm.cluster import TestSlurm, _wait

RUN = [
    "hardware.accelerator=cpu",
    "hardware.devices=2",  # srun starts two ranks at once
    "hardware.num_threads=1",
    "data.limit_samples=100",
    "trainer.max_epochs=10000",
    "trainer.max_time_minutes=0.15",  # 9 s of training in all, both jobs together
    "trainer.log_every_n_steps=1",
    "monitoring.enabled=false",
    "wandb.mode=disabled",
]


def test_a_slurm_run_requeues_at_usr1_and_resumes_at_the_same_step(
    store: RunStore, on_slurm: TestSlurm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "lo")  # the job inherits it: loopback only
    argv = ["train", str(TINY)]
    for override in RUN:
        argv += ["--set", override]
    assert main(argv) == 0  # PARETOLAB_EXECUTOR=slurm: submitted, not trained here
    [run] = store.list_runs()
    job = slurm.job_of(run.id)
    assert job is not None

    def trained_steps() -> int:
        return len(store.metric_history(run.id, "train_loss"))

    _wait(lambda: trained_steps() >= 5, 90, "the job did not start training")
    # What Slurm sends 90 s before the time limit (--signal=USR1@90).
    assert on_slurm.run("scancel", "--signal=USR1", job.job_id).returncode == 0
    _wait(lambda: store.get_run(run.id).status == "queued", 60, "the run was not requeued")
    requeued_at = time.time()
    folder = settings.run_dir(run.id)
    step = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    assert step >= 5
    _wait(lambda: slurm.job_state(job.job_id) == "PENDING", 60, "the job was not requeued")
    # Slurm holds a requeued job back for two minutes (BeginTime); an admin may start it now.
    update = on_slurm.run("scontrol", "update", f"JobId={job.job_id}", "StartTime=now")
    assert update.returncode == 0, update.stderr
    _wait(lambda: store.get_run(run.id).is_terminal, 120, "the requeued job did not finish")

    run = store.get_run(run.id)
    assert run.status == "finished", run.error
    assert slurm.job_of(run.id).job_id == job.job_id  # the same job, started again
    assert (
        f"resuming from {folder / 'checkpoints' / 'last.ckpt'}"
        in (folder / "train.log").read_text()
    )
    # One curve: the steps before the requeue were written before it, and never again.
    history = store.metric_history(run.id, "train_loss")
    assert history.steps == sorted(set(history.steps))
    assert history.steps[-1] > step
    for s, wall in zip(history.steps, history.wall_times, strict=True):
        assert (wall < requeued_at) == (s < step), (s, step)
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in (folder / "train.rank1.log").read_text()
    output = (folder / f"slurm-{job.job_id}.out").read_text()
    assert "requeue" in output.lower()  # both jobs wrote to the same file
