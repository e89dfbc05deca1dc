"""Runs as Slurm jobs: the sbatch script, submission, the job record, cancel.

With ``PARETOLAB_EXECUTOR=slurm`` a queued run is submitted with ``sbatch --parsable``:
its script (``slurm.sbatch`` in the run's folder) asks for ``hardware.num_nodes`` nodes
with ``hardware.devices`` tasks each (GPUs through ``--gres``) and starts every rank with
``srun python -m lightning_modules.train --run-id ID``; Lightning reads the ranks from
Slurm. Slurm signals ``USR1`` 90 s before the time limit: the run checkpoints, requeues
its job and resumes when it starts again (``lightning_modules.stop_signals``). The job
id is kept in ``slurm.json`` beside the script; cancel is ``scancel``.

Settings (environment):

- ``PARETOLAB_SLURM_PARTITION``, ``PARETOLAB_SLURM_ACCOUNT``: ``--partition``, ``--account``.
- ``PARETOLAB_SLURM_TIME``: the job's time limit (Slurm's formats, e.g. ``04:00:00``);
  default ``trainer.max_time_minutes`` plus a margin, else the partition's default.

The job inherits the submitting environment (``--export=ALL``: store URL and home), so no
secret is written into the script. Every value in the script is checked or quoted, and
sbatch, squeue and scancel get argument lists: no user string reaches a shell.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from paretolab import launcher, settings
from paretolab.config import RunConfig
from paretolab.config_io import parse_config
from paretolab.errors import UserError
from paretolab.store import QUEUED, Run, RunStore

PARTITION_ENV, ACCOUNT_ENV, TIME_ENV = (
    "PARETOLAB_SLURM_PARTITION",
    "PARETOLAB_SLURM_ACCOUNT",
    "PARETOLAB_SLURM_TIME",
)
JOB_FILE, SCRIPT_FILE = "slurm.json", "slurm.sbatch"
REQUEUE_SIGNAL_SECONDS = 90  # USR1 this long before the limit: time to checkpoint
TIME_MARGIN_MINUTES = 15  # beyond trainer.max_time_minutes: data, test, start-up
ALIVE_STATES = frozenset(
    {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"}
    | {"REQUEUE_HOLD", "REQUEUE_FED", "STAGE_OUT", "SIGNALING", "STOPPED", "RESV_DEL_HOLD"}
)
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")  # partitions, accounts, job names
_TIME = re.compile(r"^(\d+-)?\d+(:\d{1,2}){0,2}$")  # minutes, [D-]HH:MM[:SS], …
_PATH = re.compile(r"^/[^\s%\"'\\$`]*$")  # absolute, nothing a #SBATCH line or shell reads
_JOB_ID = re.compile(r"^\d+$")


@dataclass(frozen=True)
class SlurmOptions:
    """Where and for how long jobs run (``PARETOLAB_SLURM_*``)."""

    partition: str | None = None
    account: str | None = None
    time: str | None = None

    @classmethod
    def from_env(cls) -> SlurmOptions:
        """The options from the environment.

        Raises:
            UserError: a value Slurm would not read as a partition, account or time.
        """
        values = {}
        for field, env, pattern, example in (
            ("partition", PARTITION_ENV, _NAME, "gpu"),
            ("account", ACCOUNT_ENV, _NAME, "my-lab"),
            ("time", TIME_ENV, _TIME, "04:00:00"),
        ):
            value = os.environ.get(env, "").strip() or None
            if value is not None and not pattern.match(value):
                raise UserError(f"{env}={value!r} is not a Slurm {field}, e.g. {env}={example}")
            values[field] = value
        return cls(**values)


@dataclass(frozen=True)
class SlurmJob:
    """A run's Slurm job, as ``slurm.json`` in its folder records it."""

    job_id: str
    submitted_at: float
    cancel_sent_at: float | None = None


def job_name(run: Run) -> str:
    """``pl-ID-NAME``: the run's name cut to Slurm-safe characters (never ``bash``, which
    would hide the job from Lightning)."""
    safe = re.sub(r"[^A-Za-z0-9_.\-]+", "-", run.name).strip("-")[:40]
    name = f"pl-{run.id}" + (f"-{safe}" if safe else "")
    assert _NAME.match(name), name
    return name


def is_job_of(name: str, run_id: int) -> bool:
    """True if a Slurm job named ``name`` is the one paretolab submitted for the run."""
    return name == f"pl-{run_id}" or name.startswith(f"pl-{run_id}-")


def check_config(cfg: RunConfig) -> None:
    """Refuse what a Slurm job cannot ask for.

    Raises:
        UserError: ``hardware.accelerator=auto`` (the job must ask for GPUs or not).
    """
    if cfg.hardware.accelerator == "auto":
        raise UserError(
            "hardware.accelerator=auto: a Slurm job asks for its devices up front; set "
            "hardware.accelerator=gpu (--gres=gpu:N per node) or cpu"
        )
    if cfg.hardware.accelerator == "mps":
        raise UserError("hardware.accelerator=mps: Slurm clusters have no MPS; use gpu or cpu")


def multi_node_refusal(num_nodes: int) -> str:
    """Why a run on ``num_nodes`` > 1 nodes cannot start from one machine."""
    return (
        f"hardware.num_nodes={num_nodes}: a multi-node run is started on every node by "
        "Slurm (PARETOLAB_EXECUTOR=slurm, see `paretolab slurm --help`), not on one "
        "machine; use num_nodes=1 here"
    )


def time_limit(cfg: RunConfig, options: SlurmOptions) -> str | None:
    """The job's ``--time``: the option, else the run's max time plus a margin (minutes)."""
    if options.time:
        return options.time
    if cfg.trainer.max_time_minutes:
        return str(math.ceil(cfg.trainer.max_time_minutes) + TIME_MARGIN_MINUTES)
    return None


def render_script(
    run: Run, cfg: RunConfig, options: SlurmOptions, python: str = sys.executable
) -> str:
    """The sbatch script that trains ``run`` (see the module docstring).

    Raises:
        UserError: the config or the paths cannot go into a script (see ``check_config``).
    """
    check_config(cfg)
    folder = settings.run_dir(run.id)
    for what, path in (("the run folder (PARETOLAB_HOME)", str(folder)), ("python", python)):
        if not _PATH.match(path):
            raise UserError(
                f"{what} {path!r} cannot go into an sbatch script: use an absolute path "
                "without spaces, quotes, '%' or '$'"
            )
    hw = cfg.hardware
    lines = [
        "#!/bin/bash",
        f"# paretolab run {run.id}, written by paretolab (PARETOLAB_EXECUTOR=slurm).",
        f"#SBATCH --job-name={job_name(run)}",
        f"#SBATCH --nodes={hw.num_nodes}",
        f"#SBATCH --ntasks-per-node={hw.devices}",
    ]
    if hw.num_threads:
        lines.append(f"#SBATCH --cpus-per-task={hw.num_threads}")
    if hw.accelerator == "gpu":
        lines.append(f"#SBATCH --gres=gpu:{hw.devices}")
    limit = time_limit(cfg, options)
    if limit:
        lines.append(f"#SBATCH --time={limit}")
    for flag, value in (("partition", options.partition), ("account", options.account)):
        if value:
            lines.append(f"#SBATCH --{flag}={value}")
    lines += [
        f"#SBATCH --output={folder}/slurm-%j.out",
        "#SBATCH --open-mode=append",  # a requeued job adds to the same file
        f"#SBATCH --signal=USR1@{REQUEUE_SIGNAL_SECONDS}",
        "#SBATCH --requeue",
        f"#SBATCH --chdir={folder}",
        "#SBATCH --export=ALL",
        "",
        "# One task per device: Lightning's SLURMEnvironment reads each rank from Slurm.",
        "srun --kill-on-bad-exit=1 "
        + shlex.join([python, "-m", "lightning_modules.train", "--run-id", str(run.id)]),
        "",
    ]
    return "\n".join(lines)


def script_for(store: RunStore, run_id: int, options: SlurmOptions | None = None) -> str:
    """The script ``submit`` would write for the run (``paretolab slurm script``)."""
    run = store.get_run(run_id)
    return render_script(run, parse_config(run.config), options or SlurmOptions.from_env())


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
    folder = launcher.prepare_run_dir(run)
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
            env=launcher.child_env(store),
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
