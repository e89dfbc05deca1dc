"""Sweep workers on a host with GPUs (a fake inventory): one GPU each, `--workers auto`
counts the free GPUs, more workers than free GPUs is refused before the sweep is created,
and each worker process sees only its GPU and holds it until it exits."""

import json
import os
import sys
import time
from pathlib import Path

import pytest

from paretolab import settings
from paretolab.cli import main
from paretolab.errors import UserError
from paretolab.gpu_inventory import FAKE_GPUS_ENV
from paretolab.store import RunStore
from sweeps import worker
from sweeps.spec import load_spec
from sweeps.storage import default_storage_url
from sweeps.worker_gpus import AUTO, place_workers
from tests.conftest import capture_spawns
from tests.sweeps.conftest import TINY_SPEC, write_spec

GPU_FIXED = {"hardware.accelerator": "gpu", "wandb.mode": "disabled"}


def three_gpus() -> str:
    return json.dumps([{"index": i, "name": "NVIDIA A100", "memory_gb": 40} for i in range(3)])


@pytest.fixture
def gpu_spec(home, tmp_path, monkeypatch):
    monkeypatch.setenv(FAKE_GPUS_ENV, three_gpus())
    return load_spec(write_spec(tmp_path, study="gpus", fixed=GPU_FIXED))


def test_auto_is_one_worker_per_free_gpu_each_pinned(gpu_spec, store: RunStore) -> None:
    assert store.claim_gpus_for_process([1], os.getpid(), "someone else")
    placement = place_workers(AUTO, gpu_spec, store)
    assert (placement.count, placement.gpus) == (2, [[0], [2]])
    assert placement.note == "workers pinned to GPUs 0, 2"


def test_more_workers_than_free_gpus_is_refused_with_the_figures(gpu_spec, store: RunStore) -> None:
    assert store.claim_gpus_for_process([1], os.getpid(), "someone else")
    with pytest.raises(UserError) as err:
        place_workers(3, gpu_spec, store)
    assert str(err.value) == (
        "--workers=3: each worker needs 1 GPU(s) (hardware.devices) and 2 of 3 GPU(s) are "
        "free (0, 2); ask for at most 2, or --workers auto (see `paretolab devices` for who "
        "holds the others)"
    )


def test_without_gpus_auto_is_one_worker_with_a_note(home, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    spec = load_spec(write_spec(tmp_path, study="cpu"))
    placement = place_workers(AUTO, spec, RunStore())
    assert (placement.count, placement.gpus) == (1, [])
    assert placement.note == "--workers auto: no GPU here, so 1 worker"
    assert place_workers(3, spec, RunStore()).count == 3  # CPU workers: as many as asked


def test_a_worker_pinned_to_a_mig_instance_sees_its_uuid(
    home, tmp_path, monkeypatch, store: RunStore
) -> None:
    """MIG instances count one worker each (a trial trains on one device)."""
    mig = {"name": "NVIDIA A100 MIG 1g.5gb", "memory_gb": 5}
    inventory = [{"index": 0, "name": "NVIDIA A100", "memory_gb": 40}]
    inventory += [{"index": 200 + i, **mig, "uuid": f"MIG-{i}"} for i in range(3)]
    monkeypatch.setenv(FAKE_GPUS_ENV, json.dumps(inventory))
    spec = load_spec(write_spec(tmp_path, study="gpus", fixed=GPU_FIXED))
    placement = place_workers(AUTO, spec, store)
    assert placement.gpus == [[0], [200], [201], [202]]
    envs = capture_spawns(monkeypatch, worker, 424245)
    worker.spawn_workers("gpus", default_storage_url(), 1, store, [[201]])
    assert envs[0]["CUDA_VISIBLE_DEVICES"] == "MIG-1"


def test_sweep_run_asking_for_too_many_workers_creates_no_sweep(
    home, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv(FAKE_GPUS_ENV, three_gpus())
    spec = write_spec(tmp_path, study="toomany", fixed=GPU_FIXED)
    assert main(["sweep", "run", str(spec), "--workers", "4", "--detach"]) == 2
    err = capsys.readouterr().err
    assert "--workers=4: each worker needs 1 GPU(s) (hardware.devices) and 3 of 3" in err
    assert main(["sweep", "list"]) == 0
    assert "toomany" not in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:  # argparse's refusal: one line, exit 2
        main(["sweep", "run", str(TINY_SPEC), "--workers", "0"])
    assert bad.value.code == 2
    assert "give 1 to 64 workers, or auto (one per free GPU); got '0'" in capsys.readouterr().err


def test_each_worker_sees_its_gpu_and_holds_it_until_it_exits(
    gpu_spec, store: RunStore, monkeypatch
) -> None:
    seen = Path(settings.home_dir())
    script = (
        "import os, sys, time; from pathlib import Path;"
        f"Path({str(seen)!r}, 'worker-' + sys.argv[-1]).write_text("
        "os.environ['CUDA_VISIBLE_DEVICES']); time.sleep(1.5)"
    )
    monkeypatch.setattr(
        worker, "worker_argv", lambda name, index: [sys.executable, "-c", script, str(index)]
    )
    placement = place_workers(AUTO, gpu_spec, store)
    procs = worker.spawn_workers("gpus", default_storage_url(), 3, store, placement.gpus)
    holders = {h.gpu_index: (h.holder, h.pid) for h in store.gpu_holdings()}
    assert holders == {k: (f"sweep gpus worker {k}", procs[k].pid) for k in range(3)}
    for proc in procs:
        proc.wait(timeout=30)
    assert [(seen / f"worker-{k}").read_text() for k in range(3)] == ["0", "1", "2"]
    time.sleep(0.1)
    assert place_workers(AUTO, gpu_spec, store).count == 3  # the exited workers' GPUs: free


def test_an_unpinned_worker_exits_without_opening_the_store(home, monkeypatch) -> None:
    monkeypatch.delenv(worker.PINNED_ENV, raising=False)
    monkeypatch.setattr(worker, "run_worker", lambda *a, **k: 0)
    monkeypatch.setattr(worker, "RunStore", _no_store)
    assert worker.main(["s"]) == 0


def test_a_store_error_freeing_a_pinned_workers_gpus_keeps_its_exit(home, monkeypatch, caplog):
    monkeypatch.setenv(worker.PINNED_ENV, "1")

    def refused(*a, **k) -> int:
        raise UserError("no such sweep")

    monkeypatch.setattr(worker, "run_worker", refused)
    monkeypatch.setattr(worker, "RunStore", _no_store)
    assert worker.main(["s"]) == 2  # the worker's own exit, not the store's error
    assert "could not free this worker's GPUs" in caplog.text


def _no_store(*args, **kwargs) -> RunStore:
    raise RuntimeError("database unreachable")


def test_workers_gpus_are_held_before_any_worker_starts(gpu_spec, store, monkeypatch) -> None:
    """No window for the executor: each GPU is booked before its worker's process exists."""
    held_at_start: list[dict[int, int]] = []

    class Started:
        def __init__(self, argv, **kwargs) -> None:
            held_at_start.append({h.gpu_index: h.pid for h in store.gpu_holdings()})
            self.pid = 100000 + len(held_at_start)

    monkeypatch.setattr(worker.subprocess, "Popen", Started)
    procs = worker.spawn_workers("gpus", default_storage_url(), 2, store, [[0], [2]])
    assert held_at_start[0] == {0: os.getpid(), 2: os.getpid()}
    assert {h.gpu_index: h.pid for h in store.gpu_holdings()} == {0: procs[0].pid, 2: procs[1].pid}


def test_a_pinned_worker_sees_its_gpu_and_not_the_fake_inventory(
    gpu_spec, store, monkeypatch
) -> None:
    """The fake GPUs are the scheduler's: a worker (and the trials it trains) reads the
    machine's real devices, shown only the GPU it holds."""
    envs = capture_spawns(monkeypatch, worker, 424243)
    worker.spawn_workers("gpus", default_storage_url(), 1, store, [[2]])
    assert envs[0]["CUDA_VISIBLE_DEVICES"] == "2"
    assert FAKE_GPUS_ENV not in envs[0]


def test_a_gpu_taken_since_placement_starts_no_worker(gpu_spec, store, monkeypatch) -> None:
    """The executor claimed GPU 2 between the placement and the start: nothing starts, and
    the GPU the sweep had booked is free again."""
    started: list[object] = []
    monkeypatch.setattr(worker.subprocess, "Popen", lambda *a, **k: started.append(a))
    placement = place_workers(2, gpu_spec, store)
    run = store.create_run({}, "r", "classify", [], "")
    assert store.claim_with_gpus(run.id, [placement.gpus[1][0]])
    with pytest.raises(UserError, match="were taken since they were chosen; no worker"):
        worker.spawn_workers("gpus", default_storage_url(), 2, store, placement.gpus)
    assert started == []
    assert {h.gpu_index: h.run_id for h in store.gpu_holdings()} == {1: run.id}


def test_a_worker_that_cannot_start_leaves_its_gpus_free(gpu_spec, store, monkeypatch) -> None:
    def cannot(*args, **kwargs):
        raise OSError("no python")

    monkeypatch.setattr(worker.subprocess, "Popen", cannot)
    with pytest.raises(OSError):
        worker.spawn_workers("gpus", default_storage_url(), 2, store, [[0], [1]])
    assert store.gpu_holdings() == []
