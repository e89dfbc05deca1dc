"""The Slurm executor against a real one-node Slurm: submit once, cancel, notice lost jobs.

These jobs go to the cluster's ``closed`` partition, where they stay pending: no training.
"""

from __future__ import annotations

import json

import pytest

from paretolab import settings
from paretolab.cli import main
from paretolab.executors import launcher, slurm, slurm_script
from paretolab.executors.local import LocalExecutor, make_executor
from paretolab.executors.slurm_executor import SlurmExecutor
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.slurm.cluster import TestSlurm, _wait


@pytest.fixture
def pending(on_slurm: TestSlurm, monkeypatch: pytest.MonkeyPatch) -> TestSlurm:
    monkeypatch.setenv(slurm_script.PARTITION_ENV, "closed")
    return on_slurm


def cpu_run(store: RunStore) -> int:
    return queue_run(store, tiny_config("hardware.accelerator=cpu"))


def test_the_executor_submits_each_queued_run_once(store: RunStore, pending: TestSlurm) -> None:
    first, second = cpu_run(store), cpu_run(store)
    executor = make_executor(store)
    assert isinstance(executor, SlurmExecutor)
    assert executor.tick() == [first, second]
    assert executor.tick() == []  # submitted already: the job files say so
    assert slurm.submit(store, first) is None  # another submitter loses too
    for run_id in (first, second):
        job = slurm.job_of(run_id)
        assert slurm.job_state(job.job_id) == "PENDING"
        assert store.get_run(run_id).status == "queued"
        folder = settings.run_dir(run_id)
        assert (folder / slurm_script.SCRIPT_FILE).read_text().startswith("#!/bin/bash")
        assert json.loads((folder / slurm.JOB_FILE).read_text())["job_id"] == job.job_id
        name = pending.run("squeue", "--noheader", f"--jobs={job.job_id}", "--format=%j")
        assert name.stdout.strip() == f"pl-{run_id}-tiny-bbc"
    # A local executor on the same home leaves submitted runs to Slurm.
    assert LocalExecutor(store).tick() == []


def test_cancel_removes_a_pending_job(store: RunStore, pending: TestSlurm) -> None:
    by_cli, by_dashboard = cpu_run(store), cpu_run(store)
    executor = SlurmExecutor(store)
    executor.tick()
    assert launcher.cancel_run(store, by_cli) == "cancelled"  # `paretolab runs cancel`
    store.request_cancel(by_dashboard)  # the dashboard asks the store only …
    assert store.get_run(by_dashboard).status == "cancelled"
    executor.tick()  # … and the executor cancels the job
    for run_id in (by_cli, by_dashboard):
        job = slurm.job_of(run_id)
        assert job.cancel_sent_at is not None
        _wait(lambda j=job: slurm.job_state(j.job_id) == "CANCELLED", 20, "job not cancelled")


def test_a_queued_run_whose_job_ended_is_failed(store: RunStore, pending: TestSlurm) -> None:
    run_id = cpu_run(store)
    executor = SlurmExecutor(store)
    executor.tick()
    job = slurm.job_of(run_id)
    assert pending.run("scancel", job.job_id).returncode == 0  # by an admin, say
    _wait(lambda: slurm.job_state(job.job_id) == "CANCELLED", 20, "job not cancelled")
    executor.tick()
    run = store.get_run(run_id)
    assert run.status == "failed"
    assert f"Slurm job {job.job_id} ended (CANCELLED) without starting the run" in run.error


def test_a_refused_submission_fails_the_run_with_sbatch_s_reason(
    store: RunStore, on_slurm: TestSlurm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(slurm_script.PARTITION_ENV, "nosuchpartition")
    run_id = cpu_run(store)
    assert SlurmExecutor(store).tick() == []
    run = store.get_run(run_id)
    assert run.status == "failed" and "sbatch refused the job" in run.error
    assert "invalid partition" in run.error.lower()
    assert slurm.job_of(run_id) is None and not slurm.submission_claimed(run_id)


def test_resume_submits_a_new_job_and_keeps_the_old_record(
    store: RunStore, pending: TestSlurm, capsys: pytest.CaptureFixture
) -> None:
    run_id = cpu_run(store)
    SlurmExecutor(store).tick()
    old = slurm.job_of(run_id)
    assert launcher.cancel_run(store, run_id) == "cancelled"
    checkpoints = settings.run_dir(run_id) / "checkpoints"
    checkpoints.mkdir()
    (checkpoints / "last.ckpt").write_bytes(b"only its presence matters here")
    assert main(["runs", "resume", str(run_id)]) == 0  # PARETOLAB_EXECUTOR=slurm
    new = slurm.job_of(run_id)
    assert new.job_id != old.job_id and slurm.job_state(new.job_id) == "PENDING"
    assert store.get_run(run_id).status == "queued"
    assert (settings.run_dir(run_id) / f"slurm-{old.job_id}.json").is_file()
    assert f"submitted to Slurm as job {new.job_id}" in capsys.readouterr().out
    assert main(["runs", "show", str(run_id)]) == 0
    assert f"slurm     job {new.job_id}" in capsys.readouterr().out
