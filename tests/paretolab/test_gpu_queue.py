"""The GPU queue's policy (``executors.gpu_queue.plan``): which runs start on which GPUs,
why the others wait, backfill and its reservation, memory refusal."""

import pytest

from paretolab.errors import UserError
from paretolab.executors.gpu_queue import (
    BACKFILL_ENV,
    QueuedRun,
    backfill_seconds,
    gpu_env,
    gpus_wanted,
    plan,
)
from paretolab.gpu_inventory import Gpu

NOW = 10_000.0
HOUR = 3600.0


def gpus(n: int, used_gb: float = 0.0) -> list[Gpu]:
    return [Gpu(i, "NVIDIA H100 80GB HBM3", 80.0, used_gb, None) for i in range(n)]


def run(run_id: int, n_gpus: int, need_gb: float | None = None, age: float = 0.0) -> QueuedRun:
    return QueuedRun(run_id, NOW - age, n_gpus, need_gb)


def test_a_run_gets_exactly_the_free_gpus_it_asks_for() -> None:
    out = plan([run(1, 2), run(2, 1)], gpus(4), held={0}, cpu_slots=1, now=NOW, backfill_for=HOUR)
    assert out.starts == [(1, [1, 2]), (2, [3])]
    assert out.waiting == {} and out.refused == {}


def test_a_run_needing_more_gpus_than_are_free_waits_with_the_reason() -> None:
    out = plan([run(1, 3)], gpus(4), held={0, 1}, cpu_slots=1, now=NOW, backfill_for=HOUR)
    assert out.starts == []
    assert out.waiting == {1: "needs 3 GPU(s); 2 of 4 free"}


def test_small_runs_backfill_past_a_blocked_head() -> None:
    """No GPU idles while a run that fits waits behind a big one."""
    queue = [run(1, 4, age=60), run(2, 1)]
    out = plan(queue, gpus(4), held={0}, cpu_slots=1, now=NOW, backfill_for=HOUR)
    assert out.starts == [(2, [1])]
    assert out.waiting == {1: "needs 4 GPU(s); 3 of 4 free"}


def test_a_head_that_waited_past_the_limit_stops_the_backfill() -> None:
    """Backfill alone would starve the big run: after the limit, the GPUs drain to it."""
    queue = [run(1, 4, age=2 * HOUR), run(2, 1), run(3, 0)]
    out = plan(queue, gpus(4), held={0}, cpu_slots=1, now=NOW, backfill_for=HOUR)
    assert out.starts == [(3, [])]  # a CPU run uses no GPU: it never delays the head
    assert out.waiting[2].startswith("behind run 1, which has waited over 60 min for 4 GPU(s)")


def test_gpus_without_room_for_the_estimate_are_passed_over() -> None:
    inventory = [Gpu(0, "A", 80.0, 75.0, 90.0), Gpu(1, "A", 80.0, 10.0, 0.0)]
    out = plan([run(1, 1, need_gb=20.0)], inventory, set(), 1, NOW, HOUR)
    assert out.starts == [(1, [1])]
    out = plan([run(1, 2, need_gb=20.0)], inventory, set(), 1, NOW, HOUR)
    assert out.waiting == {
        1: "needs 2 GPU(s) with 20.0 GB free each; 1 of 2 have room "
        "(the emptiest unheld one has 70.0 GB free)"
    }


def test_a_run_that_can_never_fit_is_refused_with_figures_and_suggestions() -> None:
    big = QueuedRun(1, NOW, 1, 120.0, "lower data.batch_size, or choose a smaller checkpoint")
    out = plan([big, run(2, 9)], gpus(8), set(), 1, NOW, HOUR)
    assert out.starts == []
    assert out.refused[1] == (
        "training needs about 120.0 GB per GPU, more than the 80.0 GB of the largest GPU here; "
        "lower data.batch_size, or choose a smaller checkpoint"
    )
    assert out.refused[2].startswith("hardware.devices=9: this host has 8 GPU(s)")


def test_runs_without_gpus_keep_the_concurrency_limit() -> None:
    out = plan([run(1, 0), run(2, 0)], gpus(2), set(), cpu_slots=1, now=NOW, backfill_for=HOUR)
    assert out.starts == [(1, [])] and out.waiting == {2: None}


def test_gpus_wanted_follows_the_accelerator_and_the_inventory() -> None:
    gpu2 = {"hardware": {"accelerator": "gpu", "devices": 2}}
    assert gpus_wanted(gpu2, have_gpus=True) == 2
    assert gpus_wanted({"hardware": {"accelerator": "auto"}}, have_gpus=True) == 1
    assert gpus_wanted({"hardware": {"accelerator": "cpu", "devices": 2}}, have_gpus=True) == 0
    assert gpus_wanted(gpu2, have_gpus=False) == 0  # no inventory: the queue as before


def test_gpu_env_names_nvml_order() -> None:
    assert gpu_env([3, 5], known=[]) == {
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
        "CUDA_VISIBLE_DEVICES": "3,5",
    }


def test_a_mig_instance_is_pinned_by_its_uuid() -> None:
    known = [*gpus(1), Gpu(100, "H100 MIG 1g.10gb", 10.0, 0.0, None, uuid="MIG-a")]
    assert gpu_env([100], known)["CUDA_VISIBLE_DEVICES"] == "MIG-a"
    assert gpu_env([0], known)["CUDA_VISIBLE_DEVICES"] == "0"


def test_a_run_of_several_devices_gets_no_mig_instances() -> None:
    """A process sees one MIG instance: two of them are not two devices to DDP."""
    migs = [Gpu(100 + i, "H100 MIG 1g.10gb", 10.0, 0.0, None, uuid=f"MIG-{i}") for i in range(3)]
    out = plan([run(1, 2), run(2, 1)], [*gpus(2), *migs], {0}, 0, NOW, HOUR)
    assert out.waiting == {1: "needs 2 GPU(s); 1 of 2 free"}  # of the GPUs outside MIG
    assert out.starts == [(2, [1])]
    out = plan([run(1, 2)], migs, set(), 0, NOW, HOUR)
    assert "0 GPU(s) outside MIG and a process sees only one MIG instance" in out.refused[1]


def test_the_backfill_limit_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(BACKFILL_ENV, raising=False)
    assert backfill_seconds() == 1800.0
    monkeypatch.setenv(BACKFILL_ENV, "60")
    assert backfill_seconds() == 60.0
    monkeypatch.setenv(BACKFILL_ENV, "soon")
    with pytest.raises(UserError, match="PARETOLAB_GPU_BACKFILL_SECONDS='soon': give a number"):
        backfill_seconds()
