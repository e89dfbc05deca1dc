"""The ``paretolab`` command line.

Bad input exits with code 2 and one line on stderr: ``paretolab: error: …``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from paretolab import (
    __version__,
    auth,
    data_check,
    devices,
    executor,
    init_check,
    launcher,
    limits,
    memory_fit,
    run_views,
    settings,
    slurm,
    slurm_cli,
    slurm_script,
    users_cli,
)
from paretolab.config_io import dump_config, load_config
from paretolab.costing import cli_support as costing_cli
from paretolab.costing.catalog import check_profile
from paretolab.errors import UserError
from paretolab.store import RunStore
from paretolab.store import database as db
from paretolab.terminal import echo, printable


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"paretolab: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = _Parser(prog="paretolab", description="Train Transformers and see what quality costs.")
    p.add_argument("--version", action="version", version=f"paretolab {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="validate a YAML config, record a run and train it")
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

    cfg = sub.add_parser(
        "config", help="validate a config and print it resolved, defaults included"
    )
    cfg.add_argument("config")
    cfg.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    runs = sub.add_parser("runs", help="list, show, export, cancel and resume runs")
    rsub = runs.add_subparsers(dest="runs_command", required=True, parser_class=_Parser)
    ls = rsub.add_parser("list", help="runs, newest first")
    ls.add_argument("--status", action="append", help="only runs in this status (repeatable)")
    ls.add_argument("--limit", type=int, default=50, help="at most this many runs (default 50)")
    show = rsub.add_parser("show", help="a run's config, status, latest metrics and artifacts")
    show.add_argument("run_id", type=int)
    export = rsub.add_parser("export", help="a run's metric history as CSV or JSON")
    export.add_argument("run_id", type=int)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--out", help="write to this file instead of standard output")
    cancel = rsub.add_parser("cancel", help="stop a run (it checkpoints first)")
    cancel.add_argument("run_id", type=int)
    resume = rsub.add_parser(
        "resume", help="continue a cancelled or failed run from its last checkpoint"
    )
    resume.add_argument("run_id", type=int)
    resume.add_argument(
        "--detach", action="store_true", help="queue it for the background executor"
    )

    ex = sub.add_parser("executor", help="start queued runs as slots free up (foreground)")
    ex.add_argument(
        "--max-concurrent",
        type=int,
        default=None,
        help="runs at once on this host (default: $PARETOLAB_MAX_CONCURRENT or 1)",
    )

    _add_cost_commands(sub)

    dev = sub.add_parser(
        "devices",
        help="what this machine can train on: CPU, memory, GPUs and their catalog entries",
    )
    dev.add_argument("--json", action="store_true", help="print JSON instead of a table")

    dbp = sub.add_parser("db", help="the run store's schema")
    dsub = dbp.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    dsub.add_parser("upgrade", help="migrate the database to this paretolab's schema")
    dsub.add_parser("check", help="print the database's schema revision and whether it fits")
    users_cli.register(sub)
    slurm_cli.register(sub)
    _add_plugin_commands(sub)
    return p


def _add_cost_commands(sub: argparse._SubParsersAction) -> None:
    cost = sub.add_parser("cost", help="what training costs: FLOPs, time, dollars, energy")
    csub = cost.add_subparsers(dest="cost_command", required=True, parser_class=_Parser)
    est = csub.add_parser(
        "estimate",
        help="cost a training budget from a run config or bare architecture numbers (JSON)",
    )
    est.add_argument("config", nargs="?", help="YAML run config (or give --layers, --d-model …)")
    est.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    for flag, meaning in (
        ("--layers", "Transformer blocks"),
        ("--d-model", "residual width"),
        ("--heads", "attention heads"),
        ("--d-ff", "feed-forward width (default 4 × d-model)"),
        ("--vocab", "vocabulary size"),
        ("--seq-len", "tokens per training sequence"),
        ("--classes", "labels of a classifier's head"),
    ):
        est.add_argument(flag, type=int, help=meaning)
    est.add_argument(
        "--family",
        choices=["decoder_lm", "encoder_classifier", "encoder_decoder"],
        default="decoder_lm",
        help="model family of bare numbers (default decoder_lm, GPT-style)",
    )
    est.add_argument("--image-shape", help="a ViT config's images as C,H,W, e.g. 1,28,28")
    est.add_argument("--params", type=costing_cli.count, help="parameter count N, e.g. 175B")
    est.add_argument("--tokens", type=costing_cli.count, help="training tokens D, e.g. 300B")
    est.add_argument("--hardware", help="catalog entry (see `paretolab cost hardware`)")
    est.add_argument("--devices", type=int, default=1, help="devices in data parallel")
    est.add_argument("--mfu", type=float, default=None, help="assumed MFU (default 0.4)")
    est.add_argument("--precision", choices=["32", "bf16-mixed", "16-mixed"])
    est.add_argument("--pricing", choices=["auto", "on_demand", "spot", "internal"])
    est.add_argument("--batch", type=int, default=1, help="sequences per device (memory)")
    csub.add_parser("hardware", help="the hardware catalog, yours merged in (JSON)")


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:
    """Commands from the packages above the core (``sweep``, ``attention``, …).

    Imports run one way (dashboard → sweeps → lightning_modules → paretolab), so the core
    cannot import those packages; each registers its commands under the ``paretolab.commands``
    entry-point group instead (pyproject.toml). An entry point is ``register(subparsers)``: it
    adds its parser(s) and sets ``handler`` — ``handler(args) -> exit code`` — as a default.
    Its heavy imports (torch, optuna) belong inside the handler, so ``--help`` stays fast.
    """
    for entry in sorted(entry_points(group="paretolab.commands"), key=lambda e: e.name):
        entry.load()(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as exc:
        # One line, however long or strange the input it quotes (a value, a file's text).
        line = limits.clip(printable(str(exc)), limits.MAX_ERROR_LINE_CHARS)
        print(f"paretolab: error: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `paretolab runs list | head`
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if getattr(args, "handler", None) is not None:  # a plugin command
        return int(args.handler(args) or 0)
    if args.command == "config":
        print(dump_config(load_config(args.config, args.overrides)), end="")
        return 0
    if args.command == "db":
        return _db(args)
    if args.command == "cost":
        print(json.dumps(costing_cli.run(args), indent=2))
        return 0
    if args.command == "devices":
        machine = devices.detect()
        print(
            json.dumps(machine.as_dict(), indent=2) if args.json else devices.devices_table(machine)
        )
        return 0
    if args.command == "executor":
        limit = args.max_concurrent or executor.default_max_concurrent()
        return executor.main(["--max-concurrent", str(limit)])
    if args.command == "train":
        config = load_config(args.config, args.overrides)  # validate before anything is stored
        check_profile(config.hardware.profile)
        on_slurm = settings.executor() == "slurm"
        if on_slurm:  # it trains on the cluster's nodes, not here
            slurm_script.check_config(config)
            slurm_script.SlurmOptions.from_env()
        elif config.hardware.num_nodes > 1:
            raise UserError(slurm_script.multi_node_refusal(config.hardware.num_nodes))
        else:
            machine = devices.detect()
            devices.check_hardware(config.hardware, config.trainer.precision, machine)
            memory_fit.check_memory(config, machine)
        if config.model.init_from is not None:  # a missing source is refused, not stored
            init_check.check_init_from(config, RunStore())
        # The user's own data file: absolute (the executor may start it from elsewhere) and
        # read once now, so a bad file is one line and exit 2, with no run recorded.
        config = data_check.with_absolute_data_path(config, Path.cwd())
        summary = data_check.check_data(config)
        if summary:
            print(f"data: {summary}", file=sys.stderr)
        store = RunStore()
        run = store.create_run(
            config.model_dump(mode="json"),
            config.display_name(),
            config.task,
            config.tags,
            config.notes,
            owner=args.owner or auth.os_user(),
        )
        if args.detach:
            executor.ensure_executor(store)
            print(
                f"run {run.id} queued; the background executor starts it when a slot is free "
                f"(follow it with `paretolab runs show {run.id}`)"
            )
            return 0
        if on_slurm:
            print(slurm_cli.submitted_line(store, run.id, slurm.submit(store, run.id)))
            return 0
        echo(f"run {run.id}: {printable(run.name)}", sys.stderr)
        code = launcher.run_in_foreground(store, run.id)
        echo(run_views.run_summary(store, run.id), sys.stderr)
        return code
    store = RunStore()
    launcher.reap_orphans(store)
    if args.runs_command == "list":
        echo(run_views.runs_table(store, store.list_runs(args.status, limit=args.limit)))
    elif args.runs_command == "show":
        echo(run_views.run_report(store, args.run_id))
    elif args.runs_command == "export":
        text = run_views.export_run(store, args.run_id, args.format)
        if args.out:
            run_views.write_export(args.out, text)
        else:
            sys.stdout.write(text)
    elif args.runs_command == "cancel":
        print(f"run {args.run_id}: {launcher.cancel_run(store, args.run_id)}")
    elif args.runs_command == "resume":
        return _resume(store, args.run_id, args.detach)
    return 0


def _resume(store: RunStore, run_id: int, detach: bool) -> int:
    ckpt = launcher.requeue_for_resume(store, run_id)
    print(f"run {run_id}: resuming from {ckpt}", file=sys.stderr)
    if settings.executor() == "slurm" and not detach:
        print(slurm_cli.submitted_line(store, run_id, slurm.submit(store, run_id)))
        return 0
    if detach:
        executor.ensure_executor(store)
        return 0
    code = launcher.run_in_foreground(store, run_id)
    echo(run_views.run_summary(store, run_id), sys.stderr)
    return code


def _db(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from paretolab import settings

    where = settings.redact_url(settings.db_url())
    try:
        return _db_command(args, db.get_engine(settings.db_url()), where)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, sa.exc.DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UserError(f"cannot reach the database at {where}: {reason}") from None


def _db_command(args: argparse.Namespace, engine: Any, where: str) -> int:
    if args.db_command == "upgrade":
        db.upgrade(engine)
        print(f"{where}: at schema revision {db.current_revision(engine)}")
        return 0
    current, head = db.current_revision(engine), db.head_revision()
    print(f"{where}: schema revision {current or '(empty)'}, this paretolab needs {head}")
    return 0 if current in (head, None) else 1


if __name__ == "__main__":
    sys.exit(main())
