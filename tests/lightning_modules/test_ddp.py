"""DDP from the config: a real 2-process CPU run (gloo) cancelled, resumed and finished;
what only rank 0 may do."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import torch

from lightning_modules.callbacks.store_logger import StoreLogger
from lightning_modules.data import build_data_module
from lightning_modules.run import distributed
from lightning_modules.run.lifecycle import RunLifecycle
from paretolab import settings
from paretolab.cli import main
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from paretolab.executors import launcher, training_process
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config

DDP = [
    "hardware.accelerator=cpu",
    "hardware.devices=2",
    "hardware.strategy=ddp",
    "hardware.num_threads=1",
    "data.limit_samples=200",
    "trainer.max_epochs=10000",
    "trainer.max_time_minutes=0.1",  # 6 s of training, before and after the cancel together
    "trainer.log_every_n_steps=1",
    "monitoring.enabled=false",
    "wandb.mode=disabled",
]


def test_a_two_process_cpu_ddp_run_cancels_resumes_and_ends_once(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gloo's sockets on loopback only (its default is the address the hostname resolves to)
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "lo")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    run_id = queue_run(store, tiny_config(*DDP))
    first = subprocess.Popen(  # what the executor starts
        launcher.train_argv(run_id),
        env=training_process.child_env(store),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: store.metric_keys(run_id), 120)  # training has begun
        assert main(["runs", "cancel", str(run_id)]) == 0  # SIGTERM to both ranks
        cancelled_at = time.time()
        assert first.wait(timeout=60) == 130
    finally:
        first.kill()
    run = store.get_run(run_id)
    assert run.status == "cancelled"
    folder = settings.run_dir(run.id)
    step = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    for log in ("train.log", "train.rank1.log"):  # both ranks stopped at the same step
        assert f"cancelled: saved {folder / 'checkpoints' / 'last.ckpt'} at global step {step}" in (
            (folder / log).read_text()
        )

    assert main(["runs", "resume", str(run.id)]) == 0
    run = store.get_run(run.id)
    assert run.status == "finished" and run.error is None
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in (folder / "train.rank1.log").read_text()
    # One curve, each step once: the steps before the cancel were written before it, and
    # never again (the resumed run went on from the checkpoint's step).
    history = store.metric_history(run.id, "train_loss")
    assert history.steps == sorted(set(history.steps)) and history.steps[-1] > step
    for s, wall in zip(history.steps, history.wall_times, strict=True):
        assert (wall < cancelled_at) == (s < step), (s, step)
    assert {"val_acc", "test_acc", "cost/device_hours"} <= set(store.latest_metrics(run.id))

    # Rank 0 tested alone: the confusion matrix counts each test example exactly once
    # (DDP's sampler would have split the set and padded it with repeats).
    config = parse_config(run.config)
    data = build_data_module(config, folder)
    data.setup("fit")
    matrix = json.loads((folder / "confusion_matrix.json").read_text())["matrix"]
    assert sum(map(sum, matrix)) == len(data.splits["test"])

    # Two processes share one CPU: billed as one machine, each credited half its peak.
    cost = json.loads((folder / "cost.json").read_text())
    assert cost["assumptions"]["spend"]["devices"] == 1
    assert "1/2 cores per process" in cost["assumptions"]["peak_source"]


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_only_rank_zero_writes_metrics(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    StoreLogger(store, run_id, flush_every=1, rank=1).log_metrics({"train_loss": 1.0}, step=0)
    assert store.metric_keys(run_id) == []
    StoreLogger(store, run_id, flush_every=1, rank=0).log_metrics({"train_loss": 1.0}, step=0)
    assert store.metric_keys(run_id) == ["train_loss"]


def test_a_one_process_run_is_rank_zero_wherever_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_PROCID", "3")  # e.g. `srun -n 8 paretolab sweep worker …`
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    assert distributed.run_rank(tiny_config().model_dump()) == 0
    assert distributed.run_rank(tiny_config("hardware.devices=2").model_dump()) == 3


def test_a_rank_other_than_zero_leaves_the_run_alone(store: RunStore, tmp_path) -> None:
    run_id = queue_run(store, tiny_config())
    (tmp_path / "train.rank1.log").write_text("x")
    with RunLifecycle(store, run_id, tmp_path, rank=1) as lifecycle:
        pass
    assert lifecycle.final_status == "finished"
    run = store.get_run(run_id)
    assert run.status == "queued" and run.pid is None and run.heartbeat_at is None
    assert store.list_artifacts(run_id) == []
    with RunLifecycle(store, run_id, tmp_path, rank=1):
        raise RuntimeError("a rank's crash is rank 0's to report")
    assert store.get_run(run_id).status == "queued"


@pytest.mark.parametrize(
    ("env", "rank"),
    [
        ({}, 0),
        ({"LOCAL_RANK": "1"}, 1),
        ({"LOCAL_RANK": "1", "NODE_RANK": "1"}, 5),
        ({"SLURM_PROCID": "3"}, 3),
        ({"SLURM_PROCID": "0", "LOCAL_RANK": "1"}, 1),  # Lightning's launcher in an allocation
        ({"RANK": "6", "LOCAL_RANK": "2"}, 6),  # torchrun
    ],
)
def test_launch_rank_reads_what_the_launcher_set(
    env: dict[str, str], rank: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert distributed.launch_rank(devices_per_node=4) == rank


def test_many_nodes_need_a_cluster_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("SLURM_")] + ["RANK", "LOCAL_RANK"]:
        monkeypatch.delenv(key, raising=False)
    hardware = tiny_config("hardware.num_nodes=2").hardware
    with pytest.raises(UserError, match="hardware.num_nodes=2: a multi-node run is started"):
        distributed.check_launcher(hardware)
    monkeypatch.setenv("SLURM_NTASKS", "2")
    monkeypatch.setenv("SLURM_NTASKS_PER_NODE", "1")
    monkeypatch.setenv("SLURM_JOB_NAME", "pl-7")
    distributed.check_launcher(hardware)  # srun started it: fine
    [env] = distributed.parallel_kwargs(hardware)["plugins"]
    assert type(env).__name__ == "SLURMEnvironment" and env.auto_requeue is False


def test_only_the_job_paretolab_submitted_for_a_run_is_requeued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLURM_NTASKS", "8")
    monkeypatch.setenv("SLURM_JOB_ID", "99")
    monkeypatch.setenv("SLURM_JOB_NAME", "pl-7-tiny-bbc")
    assert distributed.slurm_job_id(7) == "99"
    assert distributed.slurm_job_id(70) is None and distributed.slurm_job_id(8) is None
    monkeypatch.setenv("SLURM_JOB_NAME", "sweep-workers")  # `srun -n 8 paretolab sweep worker`
    assert distributed.slurm_job_id(7) is None
