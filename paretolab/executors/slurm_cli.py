"""``paretolab slurm``: show a run's sbatch script, submit a queued run."""

from __future__ import annotations

import argparse
import sys

from paretolab import settings
from paretolab.executors import slurm, slurm_script
from paretolab.store import RunStore
from paretolab.terminal import echo


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``paretolab slurm script|submit``."""
    parser = sub.add_parser(
        "slurm",
        help="runs as Slurm jobs (PARETOLAB_EXECUTOR=slurm): scripts and submission",
        description="With PARETOLAB_EXECUTOR=slurm, `paretolab train` and the dashboard "
        "submit runs as sbatch jobs. Options: PARETOLAB_SLURM_PARTITION, "
        "PARETOLAB_SLURM_ACCOUNT, PARETOLAB_SLURM_TIME.",
    )
    ssub = parser.add_subparsers(dest="slurm_command", required=True, parser_class=type(parser))
    script = ssub.add_parser(
        "script", help="print the sbatch script of a run (the one its job runs, if submitted)"
    )
    script.add_argument("run_id", type=int)
    script.set_defaults(handler=_script)
    submit = ssub.add_parser("submit", help="submit a queued run to Slurm now")
    submit.add_argument("run_id", type=int)
    submit.set_defaults(handler=_submit)


def _script(args: argparse.Namespace) -> int:
    store = RunStore()
    written = settings.run_dir(args.run_id) / slurm_script.SCRIPT_FILE
    store.get_run(args.run_id)  # a missing run is an error, not an empty script
    text = written.read_text() if written.is_file() else slurm_script.script_for(store, args.run_id)
    sys.stdout.write(text)
    return 0


def _submit(args: argparse.Namespace) -> int:
    store = RunStore()
    echo(submitted_line(store, args.run_id, slurm.submit(store, args.run_id)))
    return 0


def submitted_line(store: RunStore, run_id: int, job_id: str | None) -> str:
    """What to tell a user who submitted run ``run_id``."""
    if job_id is None:
        job = slurm.job_of(run_id)
        return f"run {run_id} was already submitted" + (f" (job {job.job_id})" if job else "")
    return (
        f"run {run_id} submitted to Slurm as job {job_id} (script and output in "
        f"{settings.run_dir(run_id)}; follow it with `paretolab runs show {run_id}`)"
    )
