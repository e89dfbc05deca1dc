"""Runs as Slurm jobs: submission, the job record, state, cancel.

With ``PARETOLAB_EXECUTOR=slurm`` a queued run is submitted with ``sbatch --parsable``
(its script: ``slurm_script``). The job id is kept in ``slurm.json`` in the run's folder
beside the script; cancel is ``scancel``. sbatch, squeue, scontrol and scancel get
argument lists: no user string reaches a shell.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from paretolab import settings
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from paretolab.executors.slurm_script import SCRIPT_FILE, SlurmOptions, render_script
from paretolab.executors.training_process import child_env, prepare_run_dir
from paretolab.store import QUEUED, RunStore

JOB_FILE = "slurm.json"
ALIVE_STATES = frozenset(
    {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"}
    | {"REQUEUE_HOLD", "REQUEUE_FED", "STAGE_OUT", "SIGNALING", "STOPPED", "RESV_DEL_HOLD"}
)
_JOB_ID = re.compile(r"^\d+$")


@dataclass(frozen=True)
class SlurmJob:
    """A run's Slurm job, as ``slurm.json`` in its folder records it."""

    job_id: str
    submitted_at: float
    cancel_sent_at: float | None = None


def job_of(run_id: int) -> SlurmJob | None:
    """The run's Slurm job; None if it was never submitted (or is being submitted now)."""
    try:
        doc = json.loads((settings.run_dir(run_id) / JOB_FILE).read_text(encoding="utf-8"))
        return SlurmJob(**doc)
    except (OSError, ValueError, TypeError):
        return None


def submission_claimed(run_id: int) -> bool:
    """True once a submitter has taken the run (its job file exists, maybe still empty)."""
    return (settings.run_dir(run_id) / JOB_FILE).exists()


def submit(store: RunStore, run_id: int, options: SlurmOptions | None = None) -> str | None:
    """Write the run's script and submit it; return the Slurm job id.

    Returns None when another submitter took the run first (the job file is created
    exclusively, so a run is submitted once). Failing to submit fails the run, with
    sbatch's message.

    Raises:
        UserError: the run is not a queued plain run, or sbatch refused it.
    """
    run = store.get_run(run_id)
    if run.status != QUEUED or run.study is not None:
        what = f"trial of sweep {run.study}" if run.study else run.status
        raise UserError(f"run {run_id} is {what}: only a queued run is submitted to Slurm")
    try:
        script = render_script(run, parse_config(run.config), options or SlurmOptions.from_env())
    except UserError as exc:
        store.mark_failed(run_id, f"not submitted to Slurm: {exc}")
        raise
    folder = prepare_run_dir(run)
    try:
        os.close(os.open(folder / JOB_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:
        return None
    _write(folder / SCRIPT_FILE, script)
    try:
        job_id = _sbatch(store, folder / SCRIPT_FILE)
    except UserError as exc:
        (folder / JOB_FILE).unlink(missing_ok=True)
        store.mark_failed(run_id, str(exc))
        raise
    _write(folder / JOB_FILE, json.dumps(asdict(SlurmJob(job_id, time.time()))))
    return job_id


def _sbatch(store: RunStore, script: Path) -> str:
    try:
        done = subprocess.run(
            ["sbatch", "--parsable", str(script)],
            env=child_env(store),
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"could not run sbatch: {exc}") from None
    job_id = done.stdout.strip().split(";")[0]
    if done.returncode != 0 or not _JOB_ID.match(job_id):
        reason = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise UserError(f"sbatch refused the job: {reason}")
    return job_id


GONE = "GONE"  # the job state of a job Slurm no longer knows (ended, record purged)


def job_state(job_id: str) -> str | None:
    """The job's state as Slurm reports it (``PENDING``, ``RUNNING``, ``COMPLETED`` …),
    ``GONE`` when Slurm no longer knows it, None when Slurm could not be asked."""
    try:
        done = subprocess.run(
            ["squeue", "--noheader", "--states=all", f"--jobs={job_id}", "--format=%T"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    states = done.stdout.split()
    if done.returncode == 0:
        return states[0] if states else GONE
    return GONE if "Invalid job id" in done.stderr else None


def scancel(run_id: int) -> bool:
    """Cancel the run's job: Slurm sends SIGTERM (the run checkpoints and ends cancelled),
    then SIGKILL after its KillWait. Returns True if scancel accepted it.

    Sent once: the job file records it (also when the job had already ended).
    """
    job = job_of(run_id)
    if job is None:
        return False
    try:
        done = subprocess.run(["scancel", job.job_id], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    sent = SlurmJob(job.job_id, job.submitted_at, time.time())
    _write(settings.run_dir(run_id) / JOB_FILE, json.dumps(asdict(sent)))
    return done.returncode == 0


def cancel_run(store: RunStore, run_id: int) -> str:
    """Cancel a Slurm run: a pending one is cancelled at once, a running one checkpoints
    first (its job gets SIGTERM). Returns the run's status now."""
    store.request_cancel(run_id)
    scancel(run_id)
    return store.get_run(run_id).status


def archive_job(run_id: int) -> None:
    """Put the run's job file aside (``slurm-JOBID.json``) so that it is submitted anew,
    e.g. by ``paretolab runs resume``."""
    job, path = job_of(run_id), settings.run_dir(run_id) / JOB_FILE
    if job is not None:
        path.rename(path.with_name(f"slurm-{job.job_id}.json"))


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
