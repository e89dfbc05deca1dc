"""The sbatch script of a run, and what a run must be to become a Slurm job.

The script (``slurm.sbatch`` in the run's folder) asks for ``hardware.num_nodes`` nodes
with ``hardware.devices`` tasks each (GPUs through ``--gres``) and starts every rank with
``srun python -m lightning_modules.run.train --run-id ID``; Lightning reads the ranks from
Slurm. Slurm signals ``USR1`` 90 s before the time limit: the run checkpoints, requeues
its job and resumes when it starts again (``lightning_modules.run.stop_signals``).

Settings (environment):

- ``PARETOLAB_SLURM_PARTITION``, ``PARETOLAB_SLURM_ACCOUNT``: ``--partition``, ``--account``.
- ``PARETOLAB_SLURM_TIME``: the job's time limit (Slurm's formats, e.g. ``04:00:00``);
  default ``trainer.max_time_minutes`` plus a margin, else the partition's default.

The job inherits the submitting environment (``--export=ALL``: store URL and home), so no
secret is written into the script. Every value in it is checked or quoted: no user string
reaches the shell that runs it.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import sys
from dataclasses import dataclass

from paretolab import settings
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from paretolab.store import Run, RunStore

PARTITION_ENV, ACCOUNT_ENV, TIME_ENV = (
    "PARETOLAB_SLURM_PARTITION",
    "PARETOLAB_SLURM_ACCOUNT",
    "PARETOLAB_SLURM_TIME",
)
SCRIPT_FILE = "slurm.sbatch"
REQUEUE_SIGNAL_SECONDS = 90  # USR1 this long before the limit: time to checkpoint
TIME_MARGIN_MINUTES = 15  # beyond trainer.max_time_minutes: data, test, start-up
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")  # partitions, accounts, job names
_TIME = re.compile(r"^(\d+-)?\d+(:\d{1,2}){0,2}$")  # minutes, [D-]HH:MM[:SS], …
_PATH = re.compile(r"^/[^\s%\"'\\$`]*$")  # absolute, nothing a #SBATCH line or shell reads


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
        + shlex.join([python, "-m", "lightning_modules.run.train", "--run-id", str(run.id)]),
        "",
    ]
    return "\n".join(lines)


def script_for(store: RunStore, run_id: int, options: SlurmOptions | None = None) -> str:
    """The script ``submit`` would write for the run (``paretolab slurm script``)."""
    run = store.get_run(run_id)
    return render_script(run, parse_config(run.config), options or SlurmOptions.from_env())
