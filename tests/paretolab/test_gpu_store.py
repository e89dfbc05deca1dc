"""GPU holdings in the store: a claim is atomic, no GPU is ever held twice (even with
claims racing), and GPUs are freed when their run ends or their process is gone."""

import os
import signal
import threading

from paretolab.store import RunStore
from paretolab.store.gpu_store import WorkerTrial
from tests.conftest import queue_run, tiny_config


def held(store: RunStore) -> dict[int, str]:
    return {h.gpu_index: h.holder for h in store.gpu_holdings()}


def test_a_claim_moves_the_run_and_holds_its_gpus_together(any_store: RunStore) -> None:
    first, second = (queue_run(any_store, tiny_config()) for _ in range(2))
    assert any_store.claim_with_gpus(first, [0, 1])
    assert any_store.get_run(first).status == "running"
    # GPU 1 is taken: the second claim changes nothing, not even the run's status.
    assert not any_store.claim_with_gpus(second, [1, 2])
    assert any_store.get_run(second).status == "queued"
    assert held(any_store) == {0: f"run {first}", 1: f"run {first}"}
    assert not any_store.claim_with_gpus(first, [3])  # no longer queued


def test_racing_claims_never_double_book_a_gpu(any_store: RunStore) -> None:
    ids = [queue_run(any_store, tiny_config()) for _ in range(6)]
    start = threading.Barrier(len(ids))
    won: list[int] = []

    def claim(run_id: int) -> None:
        store = RunStore(any_store.url)  # each its own store, as two executors would be
        start.wait()
        if store.claim_with_gpus(run_id, [0, 1]):
            won.append(run_id)

    threads = [threading.Thread(target=claim, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(won) == 1
    assert held(any_store) == {0: f"run {won[0]}", 1: f"run {won[0]}"}
    assert [any_store.get_run(i).status for i in ids].count("running") == 1


def test_gpus_are_freed_when_their_run_ends_or_their_process_dies(any_store: RunStore) -> None:
    ended, alive = (queue_run(any_store, tiny_config()) for _ in range(2))
    assert any_store.claim_with_gpus(ended, [0]) and any_store.claim_with_gpus(alive, [1])
    assert any_store.claim_gpus_for_process([2], pid=4242, holder="sweep s worker 0")
    assert any_store.claim_gpus_for_process([3], pid=4343, holder="sweep s worker 1")
    any_store.mark_failed(ended, "boom")
    assert any_store.release_ended_holdings(process_alive=lambda pid: pid == 4343) == 2
    assert held(any_store) == {1: f"run {alive}", 3: "sweep s worker 1"}
    assert any_store.release_gpus(pid=4343) == 1


def test_a_sweep_workers_trial_is_the_running_trial_run_of_its_pid(any_store: RunStore) -> None:
    """A trial trains in its worker's process: its run records the worker's pid."""
    assert any_store.claim_gpus_for_process([0, 1], pid=4242, holder="sweep s worker 0")
    assert any_store.claim_gpus_for_process([2], pid=4343, holder="sweep s worker 1")
    assert any_store.worker_trials() == {}
    plain = any_store.create_run({}, "r", "classify")
    assert any_store.mark_running(plain.id, 4242)  # a run, not a trial: not the worker's
    ended = any_store.create_run({}, "s#0", "classify", study="s", trial_number=0)
    assert any_store.mark_running(ended.id, 4242) and any_store.mark_finished(ended.id)
    now = any_store.create_run({}, "s#1", "classify", study="s", trial_number=1)
    assert any_store.mark_running(now.id, 4242)
    elsewhere = any_store.create_run({}, "s#2", "classify", study="s", trial_number=2)
    assert any_store.mark_running(elsewhere.id, 4343, host="another-host")
    (trial,) = any_store.worker_trials().items()
    assert trial == (4242, WorkerTrial(now.id, "s", 1))


def test_a_deleted_run_leaves_no_holding(any_store: RunStore) -> None:
    run_id = queue_run(any_store, tiny_config())
    assert any_store.claim_with_gpus(run_id, [0])
    any_store.mark_cancelled(run_id)
    any_store.delete_run(run_id)
    assert held(any_store) == {}  # the foreign key's cascade, on both backends


def test_the_queue_reason_is_stored_while_queued(any_store: RunStore) -> None:
    run_id = queue_run(any_store, tiny_config())
    any_store.set_queue_reason(run_id, "needs 2 GPU(s); 1 of 8 free")
    assert any_store.get_run(run_id).queue_reason == "needs 2 GPU(s); 1 of 8 free"
    assert any_store.claim_with_gpus(run_id, [0, 1])
    assert any_store.get_run(run_id).queue_reason is None


def test_a_run_that_recorded_its_end_keeps_its_gpus_here_until_its_processes_exit(
    any_store: RunStore,
) -> None:
    """Rank 0 marks the run finished while it (and the other ranks) still hold the GPUs."""
    here, there = (queue_run(any_store, tiny_config()) for _ in range(2))
    assert any_store.claim_with_gpus(here, [0])
    assert any_store.claim_with_gpus(there, [0], host="another-host")
    for run_id, pid in ((here, 4242), (there, 4242)):
        any_store.set_pid(run_id, pid)
        any_store.mark_finished(run_id)
    living = {4242}
    assert any_store.release_ended_holdings(lambda pid: pid in living) == 1  # the other host's
    assert held(any_store) == {0: f"run {here}"}
    living.clear()
    assert any_store.release_ended_holdings(lambda pid: pid in living) == 1
    assert held(any_store) == {}


def test_a_process_group_lives_while_any_member_does() -> None:
    """A training process leads its group; a rank it started outlives it here."""
    import subprocess
    import sys
    import time

    from paretolab import processes

    leader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; print(subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(60)']).pid, flush=True)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    member = int(leader.stdout.readline())
    leader.wait(timeout=30)
    try:
        assert not processes.alive(leader.pid)
        assert processes.group_alive(leader.pid)
    finally:
        os.kill(member, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes.group_alive(leader.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes.group_alive(leader.pid)
