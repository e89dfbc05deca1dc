"""The Launch page's GPU queue panel (a fake inventory) and a waiting run's reason on its page."""

import json
import os

import pytest

from paretolab.gpu_inventory import FAKE_GPUS_ENV
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page


@pytest.fixture
def two_gpus(monkeypatch):
    gpus = [
        {"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_gb": 80, "used_gb": 20, "util": 55},
        {"index": 1, "name": "NVIDIA H100 80GB HBM3", "memory_gb": 80},
    ]
    monkeypatch.setenv(FAKE_GPUS_ENV, json.dumps(gpus))


@pytest.mark.slow
def test_launch_page_shows_each_gpu_its_holder_and_a_link_to_the_run_on_it(
    store: RunStore, two_gpus
) -> None:
    run_id = queue_run(store, tiny_config())
    assert store.claim_with_gpus(run_id, [0])
    assert store.claim_gpus_for_process([1], os.getpid(), "sweep s worker 0")
    trial = store.create_run({}, "s#3", "classify", study="s", trial_number=3)
    assert store.mark_running(trial.id, os.getpid())  # a trial trains in its worker's process
    at = open_page("views/launch.py")
    frame = next(d.value for d in at.dataframe if "held by" in d.value.columns)
    assert frame.to_dict("records") == [
        {
            "GPU": 0,
            "name": "NVIDIA H100 80GB HBM3",
            "memory used": "20.0 / 80.0 GB",
            "utilisation": "55%",
            "held by": f"run {run_id}",
        },
        {
            "GPU": 1,
            "name": "NVIDIA H100 80GB HBM3",
            "memory used": "0.0 / 80.0 GB",
            "utilisation": "-",
            "held by": f"sweep s worker 0 (pid {os.getpid()}): run {trial.id}, trial 3",
        },
    ]
    assert any("0 of 2 GPU(s) free" in c.value for c in at.caption)
    link = next(x.proto for x in at.get("page_link") if "(GPU 0)" in x.proto.label)
    assert (link.label, link.page, link.query_string) == (
        f"Open run {run_id} (GPU 0)",
        "run",
        f"run={run_id}",
    )
    link = next(x.proto for x in at.get("page_link") if "(GPU 1)" in x.proto.label)
    assert (link.label, link.query_string) == (
        f"Open run {trial.id}, a trial of sweep s (GPU 1)",
        f"run={trial.id}",
    )


def test_launch_page_without_gpus_says_runs_queue_without_assignment(
    store: RunStore, monkeypatch
) -> None:
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    at = open_page("views/launch.py")
    assert any("No NVIDIA GPU found (NVML)" in c.value for c in at.caption)


def test_a_waiting_run_shows_why_on_its_page(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    store.set_queue_reason(run_id, "needs 2 GPU(s); 1 of 8 free")
    at = open_page("views/run.py", run=str(run_id))
    (waiting,) = [i.value for i in at.info if i.value.startswith("Waiting in the queue")]
    # markdown characters escaped: a reason is shown as written, never as markup
    assert waiting.replace("\\", "") == "Waiting in the queue: needs 2 GPU(s); 1 of 8 free"


def test_the_runs_table_says_why_a_queued_run_waits(store: RunStore) -> None:
    waiting, plain = queue_run(store, tiny_config()), queue_run(store, tiny_config())
    store.set_queue_reason(waiting, "needs 2 GPU(s); 1 of 8 free")
    at = open_page("views/runs.py")
    frame = next(d.value for d in at.dataframe if "status" in d.value.columns)
    statuses = dict(zip(frame["id"], frame["status"], strict=True))
    assert statuses == {waiting: "queued: needs 2 GPU(s); 1 of 8 free", plain: "queued"}
