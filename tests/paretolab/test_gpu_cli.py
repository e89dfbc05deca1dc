"""The GPU queue from the command line, on a fake inventory: `paretolab devices` shows each
GPU's holder, `paretolab train` refuses a run too big for the GPUs' free memory and leaves
one that must wait for GPUs queued with its reason, which `paretolab runs` shows."""

import json
import os

import pytest

from paretolab.cli import main
from paretolab.gpu_inventory import FAKE_GPUS_ENV
from paretolab.store import RunStore
from tests.conftest import TINY

H100 = "NVIDIA H100 80GB HBM3"
TWO = [
    {"index": 0, "name": H100, "memory_gb": 80, "used_gb": 40.5, "util": 97},
    {"index": 1, "name": H100, "memory_gb": 80},
]
GPU_RUN = ["--set", "hardware.accelerator=gpu", "--set", "wandb.mode=disabled"]


@pytest.fixture
def two_gpus(home, monkeypatch):
    monkeypatch.setenv(FAKE_GPUS_ENV, json.dumps(TWO))


def test_devices_shows_each_gpu_with_memory_utilisation_and_holder(two_gpus, capsys) -> None:
    store = RunStore()
    run = store.create_run({}, "r", "classify", [], "")
    assert store.claim_with_gpus(run.id, [0])
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "GPU queue: 1 of 2 GPU(s) free" in out
    assert f"0    {H100}  40.5 / 80.0 GB  97%   run {run.id}" in out
    assert f"1    {H100}  0.0 / 80.0 GB   -     free" in out
    assert main(["devices", "--json"]) == 0
    queue = json.loads(capsys.readouterr().out)["gpu_queue"]
    assert [(g["index"], g["holder"], g["run_id"]) for g in queue] == [
        (0, f"run {run.id}", run.id),
        (1, None, None),
    ]


def test_devices_names_the_trial_a_sweep_worker_trains_on_its_gpu(two_gpus, capsys) -> None:
    """A worker holds its GPU for the whole sweep; `devices` names the trial run on it."""
    store, pid = RunStore(), os.getpid()
    assert store.claim_gpus_for_process([1], pid, "sweep s worker 0")
    assert main(["devices"]) == 0
    assert f"sweep s worker 0 (pid {pid}): between trials" in capsys.readouterr().out
    plain = store.create_run({}, "r", "classify", [], "")
    assert store.mark_running(plain.id, pid)  # not a trial: not the worker's
    trial = store.create_run({}, "s#2", "classify", study="s", trial_number=2)
    assert store.mark_running(trial.id, pid)
    assert main(["devices"]) == 0
    assert f"sweep s worker 0 (pid {pid}): run {trial.id}, trial 2" in capsys.readouterr().out
    assert main(["devices", "--json"]) == 0
    worker_gpu = json.loads(capsys.readouterr().out)["gpu_queue"][1]
    assert (worker_gpu["run_id"], worker_gpu["sweep"]) == (trial.id, "s")
    store.mark_finished(trial.id)
    assert main(["devices"]) == 0
    assert f"sweep s worker 0 (pid {pid}): between trials" in capsys.readouterr().out


def test_devices_without_gpus_says_the_queue_assigns_none(home, capsys, monkeypatch) -> None:
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    assert main(["devices"]) == 0
    assert "GPU queue: no NVIDIA GPU found (NVML)" in capsys.readouterr().out


def test_a_bad_fake_inventory_is_one_line(home, capsys, monkeypatch) -> None:
    monkeypatch.setenv(FAKE_GPUS_ENV, '[{"index": 0}]')
    assert main(["devices"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"paretolab: error: {FAKE_GPUS_ENV}: cannot read it")
    assert "give a JSON list such as" in err and err.count("\n") == 1


def test_train_refuses_a_run_that_cannot_fit_the_gpus_free_memory(
    home, capsys, monkeypatch
) -> None:
    full = [{"index": 0, "name": H100, "memory_gb": 80, "used_gb": 79.9}]
    monkeypatch.setenv(FAKE_GPUS_ENV, json.dumps(full))
    assert main(["train", str(TINY), *GPU_RUN, "--set", "data.batch_size=4096"]) == 2
    err = capsys.readouterr().err
    assert "training this model needs about 0.6 GB" in err
    assert "more than the 0.1 GB of GPU 0's free memory (NVIDIA H100 80GB HBM3, 80.0 GB" in err
    # A model of our own, in fp32: only what applies to it (no LoRA, no FSDP).
    assert err.rstrip().endswith(
        "lower data.batch_size or data.max_length, train in trainer.precision=bf16-mixed, or "
        "make the model smaller (model.d_model, model.n_layers, model.d_ff or "
        "tokenizer.vocab_size)"
    )
    assert RunStore().list_runs() == []


def test_train_in_the_terminal_waits_in_the_queue_when_the_gpus_are_held(two_gpus, capsys) -> None:
    store = RunStore()
    assert store.claim_gpus_for_process([0, 1], os.getpid(), "sweep s worker 0")
    assert main(["train", str(TINY), *GPU_RUN]) == 2
    err = capsys.readouterr().err
    run = store.list_runs()[0]
    assert f"run {run.id} stays queued: needs 1 GPU(s); 0 of 2 free" in err
    assert run.status == "queued" and run.queue_reason == "needs 1 GPU(s); 0 of 2 free"
    assert main(["runs", "list"]) == 0
    assert "queued: needs 1 GPU(s); 0 of 2 free" in capsys.readouterr().out
    assert main(["runs", "show", str(run.id)]) == 0
    assert "  waiting   needs 1 GPU(s); 0 of 2 free" in capsys.readouterr().out


def test_devices_on_a_cpu_machine_opens_no_store(home, capsys, monkeypatch) -> None:
    """No GPUs: no holders to show, so no database is created or needed."""
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    monkeypatch.setenv("PARETOLAB_DB_URL", "postgresql+psycopg://u:p@127.0.0.1:1/none")
    assert main(["devices"]) == 0
    assert "GPU queue: no NVIDIA GPU found (NVML)" in capsys.readouterr().out
    assert not list(home.rglob("*.db"))


def test_train_in_the_terminal_does_not_jump_the_queue(two_gpus, capsys, monkeypatch) -> None:
    """An older run waits for both GPUs with a reservation: a new 1-GPU run started in the
    terminal must not take the GPU that drains to it."""
    from tests.conftest import queue_run, tiny_config

    monkeypatch.setenv("PARETOLAB_GPU_BACKFILL_SECONDS", "0")
    store = RunStore()
    assert store.claim_gpus_for_process([0], os.getpid(), "sweep s worker 0")
    older = queue_run(store, tiny_config("hardware.accelerator=gpu", "hardware.devices=2"))
    assert main(["train", str(TINY), *GPU_RUN]) == 2
    err = capsys.readouterr().err
    newer = max(r.id for r in store.list_runs())
    assert f"run {newer} stays queued: behind run {older}" in err
    assert store.get_run(newer).status == "queued"
    assert store.gpu_holdings()[0].gpu_index == 0 and len(store.gpu_holdings()) == 1


def test_train_in_the_terminal_starts_only_a_queued_run(two_gpus) -> None:
    from paretolab.errors import UserError
    from paretolab.executors import launcher
    from tests.conftest import queue_run, tiny_config

    store = RunStore()
    run_id = queue_run(store, tiny_config("hardware.accelerator=gpu"))
    assert store.claim_with_gpus(run_id, [1])  # the executor was first
    with pytest.raises(UserError, match=f"run {run_id} is running, not queued"):
        launcher.gpus_for_now(store, store.get_run(run_id))
