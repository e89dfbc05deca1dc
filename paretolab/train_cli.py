"""``paretolab train`` and ``paretolab config``: a YAML run config, validated, then trained.

``train`` admits the run through ``paretolab.admission`` (the checks the dashboard and
sweeps run too), then trains it here, queues it for the executor (``--detach``) or submits
it to Slurm (``PARETOLAB_EXECUTOR=slurm``).
"""

from __future__ import annotations

import argparse
import sys

from paretolab import admission, auth, cli_text, devices, settings
from paretolab.config.io import dump_config, load_config
from paretolab.costing.launch_cost import cli_projection
from paretolab.executors import launcher, local, slurm, slurm_cli
from paretolab.store import RunStore
from paretolab.terminal import echo, printable


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab train`` and ``paretolab config``."""
    train = subparsers.add_parser("train", help="validate a YAML config, record a run and train it")
    train.add_argument("config", help="YAML run config, e.g. configs/bbc_demo.yaml")
    train.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set model.n_layers=4 (repeatable)",
    )
    train.add_argument(
        "--detach",
        action="store_true",
        help="queue the run for the background executor (output in the run folder's output.log)",
    )
    train.add_argument("--owner", help="who the run belongs to (default: your OS user name)")
    train.add_argument(
        "--confirm-over-budget",
        action="store_true",
        help="start it even past a soft budget (recorded with the run); a hard one refuses",
    )
    train.set_defaults(handler=_train)

    cfg = subparsers.add_parser(
        "config", help="validate a config and print it resolved, defaults included"
    )
    cfg.add_argument("config")
    cfg.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cfg.set_defaults(handler=_config)


def _config(args: argparse.Namespace) -> int:
    print(dump_config(load_config(args.config, args.overrides)), end="")
    return 0


def _train(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.overrides)  # validate before anything is stored
    store = RunStore()
    # The user's own data file is made absolute (the executor may start the run from
    # elsewhere) and read once now: a bad file is one line and exit 2, no run recorded.
    run = admission.admit(
        config,
        store=store,
        owner=args.owner or auth.os_user(),
        on_data=lambda summary: print(f"data: {summary}", file=sys.stderr),
        projected=cli_projection(config, devices.detect()),
        confirm_over_budget=args.confirm_over_budget,
    )
    if args.detach:
        local.ensure_executor(store)
        print(
            f"run {run.id} queued; the background executor starts it when a slot is free "
            f"(follow it with `paretolab runs show {run.id}`)"
        )
        return 0
    if settings.executor() == "slurm":  # it trains on the cluster's nodes, not here
        print(slurm_cli.submitted_line(store, run.id, slurm.submit(store, run.id)))
        return 0
    echo(f"run {run.id}: {printable(run.name)}", sys.stderr)
    code = launcher.run_in_foreground(store, run.id)
    echo(cli_text.run_summary(store, run.id), sys.stderr)
    return code
