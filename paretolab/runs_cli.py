"""``paretolab runs list|show|export|cancel|resume``: the runs in the store; and
``paretolab executor``, which starts the queued ones."""

from __future__ import annotations

import argparse
import sys

from paretolab import cli_text, run_export, settings
from paretolab.executors import launcher, local, slurm, slurm_cli
from paretolab.store import RunStore
from paretolab.terminal import echo


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab runs`` and its sub-commands, and ``paretolab executor``."""
    runs = subparsers.add_parser("runs", help="list, show, export, cancel and resume runs")
    rsub = runs.add_subparsers(dest="runs_command", required=True, parser_class=type(runs))
    ls = rsub.add_parser("list", help="runs, newest first")
    ls.add_argument("--status", action="append", help="only runs in this status (repeatable)")
    ls.add_argument("--limit", type=int, default=50, help="at most this many runs (default 50)")
    ls.set_defaults(handler=_list)
    show = rsub.add_parser("show", help="a run's config, status, latest metrics and artifacts")
    show.add_argument("run_id", type=int)
    show.set_defaults(handler=_show)
    export = rsub.add_parser("export", help="a run's metric history as CSV or JSON")
    export.add_argument("run_id", type=int)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--out", help="write to this file instead of standard output")
    export.set_defaults(handler=_export)
    cancel = rsub.add_parser("cancel", help="stop a run (it checkpoints first)")
    cancel.add_argument("run_id", type=int)
    cancel.set_defaults(handler=_cancel)
    resume = rsub.add_parser(
        "resume", help="continue a cancelled or failed run from its last checkpoint"
    )
    resume.add_argument("run_id", type=int)
    resume.add_argument(
        "--detach", action="store_true", help="queue it for the background executor"
    )
    resume.set_defaults(handler=_resume)
    ex = subparsers.add_parser("executor", help="start queued runs as slots free up (foreground)")
    ex.add_argument(
        "--max-concurrent",
        type=int,
        default=None,
        help="runs at once on this host (default: $PARETOLAB_MAX_CONCURRENT or 1)",
    )
    ex.set_defaults(handler=_executor)


def _store() -> RunStore:
    """The run store, runs whose process died marked failed first (what every command shows)."""
    store = RunStore()
    launcher.reap_orphans(store)
    return store


def _list(args: argparse.Namespace) -> int:
    store = _store()
    echo(cli_text.runs_table(store, store.list_runs(args.status, limit=args.limit)))
    return 0


def _show(args: argparse.Namespace) -> int:
    echo(cli_text.run_report(_store(), args.run_id))
    return 0


def _export(args: argparse.Namespace) -> int:
    text = run_export.export_run(_store(), args.run_id, args.format)
    if args.out:
        run_export.write_export(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def _cancel(args: argparse.Namespace) -> int:
    print(f"run {args.run_id}: {launcher.cancel_run(_store(), args.run_id)}")
    return 0


def _resume(args: argparse.Namespace) -> int:
    store, run_id = _store(), args.run_id
    ckpt = launcher.requeue_for_resume(store, run_id)
    print(f"run {run_id}: resuming from {ckpt}", file=sys.stderr)
    if settings.executor() == "slurm" and not args.detach:
        print(slurm_cli.submitted_line(store, run_id, slurm.submit(store, run_id)))
        return 0
    if args.detach:
        local.ensure_executor(store)
        return 0
    code = launcher.run_in_foreground(store, run_id)
    echo(cli_text.run_summary(store, run_id), sys.stderr)
    return code


def _executor(args: argparse.Namespace) -> int:
    limit = args.max_concurrent or local.default_max_concurrent()
    return local.main(["--max-concurrent", str(limit)])
