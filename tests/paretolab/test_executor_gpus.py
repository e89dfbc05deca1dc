"""The local executor with GPUs (a fake inventory): each run gets the free GPUs it asks for
through CUDA_VISIBLE_DEVICES, the others wait with a reason, GPUs of runs that end or die
are freed, two executors never book one GPU twice, and a run that cannot fit is refused."""

import json
import os
import signal
import sys
import threading

import pytest

from paretolab import settings
from paretolab.executors import launcher
from paretolab.executors.local import LocalExecutor
from paretolab.gpu_inventory import FAKE_GPUS_ENV
from paretolab.store import RunStore
from tests.conftest import capture_spawns, queue_run, tiny_config
from tests.paretolab.test_executor import stop_all, wait_until

SEEN_FILE = "cuda_visible_devices.txt"


def fake_gpus(n: int, memory_gb: float = 80.0) -> str:
    return json.dumps(
        [{"index": i, "name": "NVIDIA H100 80GB HBM3", "memory_gb": memory_gb} for i in range(n)]
    )


@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setenv(FAKE_GPUS_ENV, fake_gpus(2))


@pytest.fixture
def gpu_training(monkeypatch):
    """Training processes that write the CUDA_VISIBLE_DEVICES they were given, then sleep."""
    script = (
        "import os, sys, time;"
        "from paretolab import settings; from paretolab.store import RunStore;"
        "s = RunStore(); rid = int(sys.argv[-1]); s.mark_running(rid, os.getpid());"
        f"seen = settings.run_dir(rid) / {SEEN_FILE!r}; tmp = seen.with_suffix('.tmp');"
        # written whole, then renamed: the test never reads a half-written file
        "tmp.write_text(os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')); tmp.rename(seen);"
        "time.sleep(float(os.environ.get('FAKE_TRAIN_SECONDS', '30'))); s.mark_finished(rid)"
    )
    monkeypatch.setattr(
        launcher, "train_argv", lambda run_id: [sys.executable, "-c", script, str(run_id)]
    )


def gpu_run(store: RunStore, devices: int = 1, *more: str) -> int:
    return queue_run(
        store, tiny_config("hardware.accelerator=gpu", f"hardware.devices={devices}", *more)
    )


def seen_by(run_id: int) -> str:
    path = settings.run_dir(run_id) / SEEN_FILE
    wait_until(path.exists)
    return path.read_text()


def test_each_run_sees_only_its_own_gpus_and_a_third_waits(store, two_gpus, gpu_training) -> None:
    first, second, third = gpu_run(store), gpu_run(store), gpu_run(store)
    ex = LocalExecutor(store, max_concurrent=1)  # the CPU limit does not bound GPU runs
    try:
        assert ex.tick() == [first, second]
        assert (seen_by(first), seen_by(second)) == ("0", "1")
        assert store.get_run(third).queue_reason == "needs 1 GPU(s); 0 of 2 free"
        assert {h.gpu_index: h.run_id for h in store.gpu_holdings()} == {0: first, 1: second}
    finally:
        stop_all(store)


@pytest.mark.slow
def test_a_run_dying_with_its_gpus_frees_them_for_the_next(store, two_gpus, gpu_training) -> None:
    big, waiting = gpu_run(store, 2), gpu_run(store, 2)
    ex = LocalExecutor(store)
    try:
        assert ex.tick() == [big]
        seen_by(big)
        assert store.get_run(waiting).queue_reason == "needs 2 GPU(s); 0 of 2 free"
        launcher.signal_group(store.get_run(big).pid, signal.SIGKILL)
        wait_until(lambda: waiting in ex.tick() or store.get_run(waiting).status != "queued")
        assert store.get_run(big).status == "failed"
        assert seen_by(waiting) == "0,1"
    finally:
        stop_all(store)


def test_gpus_of_a_run_whose_process_died_elsewhere_are_freed_by_the_reaper(
    store, two_gpus
) -> None:
    """Not our child (another executor's, gone with it): the reaper fails it, its GPUs free."""
    run_id = gpu_run(store, 2)
    assert store.claim_with_gpus(run_id, [0, 1])
    store.set_pid(run_id, 2**22 + 12345)  # no such process
    LocalExecutor(store).tick()
    assert store.get_run(run_id).status == "failed"
    assert store.gpu_holdings() == []


@pytest.mark.slow
def test_two_executors_ticking_at_once_never_share_a_gpu(store, gpu_training, monkeypatch) -> None:
    monkeypatch.setenv(FAKE_GPUS_ENV, fake_gpus(3))
    ids = [gpu_run(store) for _ in range(6)]
    executors = [LocalExecutor(RunStore(store.url)) for _ in range(2)]
    start = threading.Barrier(2)

    def tick(ex: LocalExecutor) -> None:
        start.wait()
        ex.tick()

    threads = [threading.Thread(target=tick, args=(ex,)) for ex in executors]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        started = [i for ex in executors for i in ex._children]
        assert len(started) == 3
        assert sorted(seen_by(i) for i in started) == ["0", "1", "2"]
        assert [store.get_run(i).status for i in ids].count("queued") == 3
    finally:
        stop_all(store)


def test_a_queued_run_too_big_for_any_gpu_is_refused_not_kept_waiting(
    store, gpu_training, monkeypatch
) -> None:
    monkeypatch.setenv(FAKE_GPUS_ENV, fake_gpus(2, memory_gb=0.001))
    run_id = gpu_run(store)
    assert LocalExecutor(store).tick() == []
    run = store.get_run(run_id)
    assert run.status == "failed"
    assert run.error.startswith("not started: training needs about ")
    assert "more than the 0.0 GB of the largest GPU here" in run.error
    assert "make the model smaller (model.d_model" in run.error and "FSDP" not in run.error


def test_without_an_inventory_the_queue_is_as_before(store, gpu_training, monkeypatch) -> None:
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    first, second = gpu_run(store), gpu_run(store)
    ex = LocalExecutor(store, max_concurrent=1)
    try:
        assert ex.tick() == [first]
        assert seen_by(first) == os.environ.get("CUDA_VISIBLE_DEVICES", "unset")
        assert store.get_run(second).queue_reason is None
    finally:
        stop_all(store)


def test_without_gpus_a_tick_writes_nothing_and_reads_no_backfill(store, monkeypatch) -> None:
    """A CPU host's executor ticks every second: it must not take SQLite's write lock (the
    training processes write their metrics) nor parse the backfill variable."""
    import sqlalchemy as sa

    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    monkeypatch.setenv("PARETOLAB_GPU_BACKFILL_SECONDS", "not a number")
    writes: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", count)
    ex = LocalExecutor(store)
    assert ex.tick() == []
    assert writes == []
    cpu_run = queue_run(store, tiny_config())
    monkeypatch.setattr(launcher, "spawn_detached", lambda s, run_id, gpus: None)
    ex.tick()  # no UserError from the bad backfill value: no GPUs, no backfill
    assert store.get_run(cpu_run).status == "queued"


@pytest.mark.slow
def test_training_processes_see_the_real_devices_the_executor_the_fake_ones(
    store, two_gpus, monkeypatch
) -> None:
    """The fake inventory is for the queue: with it set, an `auto` run still trains on the
    CPU of a machine without CUDA (it failed in Lightning when the variable reached it)."""
    import subprocess

    import torch

    from paretolab.executors import local, training_process

    env = training_process.child_env(store)
    assert FAKE_GPUS_ENV not in env
    code = "from paretolab import devices; print(devices.detect().resolve('auto'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == ("gpu" if torch.cuda.is_available() else "cpu"), out.stderr
    started: list[dict] = []
    monkeypatch.setattr(local, "executor_running", lambda: False)
    monkeypatch.setattr(local.subprocess, "Popen", lambda argv, env, **kw: started.append(env))
    local.ensure_executor(store)
    assert started[0][FAKE_GPUS_ENV] == fake_gpus(2)  # the executor plans on the fake GPUs


def test_a_pinned_training_process_sees_its_gpus_and_not_the_fake_inventory(
    store, two_gpus, monkeypatch
) -> None:
    """The fake GPUs are the scheduler's: the process the executor spawns for a run is shown
    the GPU it holds, and reads the machine's real devices (no PARETOLAB_FAKE_GPUS)."""
    envs = capture_spawns(monkeypatch, launcher, 424242)
    run_id = gpu_run(store)
    assert launcher.spawn_detached(store, run_id, [1]) is not None
    assert envs[0]["CUDA_VISIBLE_DEVICES"] == "1"
    assert envs[0]["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert FAKE_GPUS_ENV not in envs[0]


def test_a_run_given_a_mig_instance_is_pinned_by_its_uuid(store, monkeypatch) -> None:
    """A GPU in MIG mode is scheduled as its instances; CUDA is shown an instance's UUID."""
    mig = {"name": "NVIDIA A100-SXM4-40GB MIG 3g.20gb", "memory_gb": 20}
    instances = [{"index": 100, **mig, "uuid": "MIG-a"}, {"index": 101, **mig, "uuid": "MIG-b"}]
    monkeypatch.setenv(FAKE_GPUS_ENV, json.dumps(instances))
    envs = capture_spawns(monkeypatch, launcher, 424244)
    run_id = gpu_run(store)
    assert launcher.spawn_detached(store, run_id, [101]) is not None
    assert envs[0]["CUDA_VISIBLE_DEVICES"] == "MIG-b"
    assert FAKE_GPUS_ENV not in envs[0]
    assert {h.gpu_index: h.run_id for h in store.gpu_holdings()} == {101: run_id}


def test_when_nvml_fails_with_gpus_held_no_gpu_run_starts_unpinned(store, monkeypatch) -> None:
    """An empty inventory on a host whose GPUs runs hold is NVML failing, not a CPU host."""
    from paretolab.executors.gpu_queue import BLIND_REASON

    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    assert store.claim_gpus_for_process([0], os.getpid(), "sweep s worker 0")
    auto, cpu = (
        queue_run(store, tiny_config()),
        queue_run(store, tiny_config("hardware.accelerator=cpu")),
    )
    started: list[int] = []
    monkeypatch.setattr(launcher, "spawn_detached", lambda s, run_id, gpus: started.append(run_id))
    LocalExecutor(store, max_concurrent=2).tick()
    assert started == [cpu]
    assert store.get_run(auto).queue_reason == BLIND_REASON
