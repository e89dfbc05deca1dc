"""``paretolab sweep run|worker|list|show|stop|resume|enqueue`` (registered through the
``paretolab.commands`` entry point; optuna and torch load inside the handlers)."""

from __future__ import annotations

import argparse
from typing import Any

from paretolab.terminal import echo
from sweeps.cli_workers import print_show, start_workers


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` command and its sub-commands."""
    sweep = subparsers.add_parser("sweep", help="Optuna hyperparameter sweeps of run configs")
    sub = sweep.add_subparsers(dest="sweep_command", required=True)

    def storage_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--storage",
            default=None,
            help="Optuna storage: a SQLAlchemy URL or a journal file (default: "
            "$PARETOLAB_SWEEP_STORAGE, the team database's `optuna` schema, or "
            ".paretolab/sweeps/optuna-journal.log); a URL with a password shows in `ps`: "
            "prefer $PARETOLAB_SWEEP_STORAGE",
        )

    run = sub.add_parser("run", help="create a sweep from a YAML spec and start its workers")
    run.add_argument("spec", help="sweep spec YAML, e.g. configs/sweeps/tiny.yaml")
    run.add_argument(
        "--workers",
        type=workers_arg,
        default=1,
        help="worker processes here (default 1); on a host with GPUs each gets its own GPU, "
        "and auto starts one per free GPU",
    )
    run.add_argument("--study", default=None, help="study name (default: the spec's `study`)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fix a config field for every trial, e.g. --set trainer.max_epochs=5",
    )
    run.add_argument(
        "--detach", action="store_true", help="start the workers in the background and return"
    )
    run.add_argument("--owner", help="who the sweep belongs to (default: your OS user name)")
    run.add_argument(
        "--confirm-over-budget",
        action="store_true",
        help="start it even past a soft budget (recorded with the sweep); a hard one refuses",
    )
    storage_option(run)
    run.set_defaults(handler=_run)

    worker = sub.add_parser("worker", help="join a sweep as one more worker (any machine)")
    worker.add_argument("study")
    worker.add_argument(
        "--index", type=int, default=0, help="number workers started together 0, 1, … (seeds)"
    )
    storage_option(worker)
    worker.set_defaults(handler=_worker)

    ls = sub.add_parser("list", help="sweeps with their state, progress and best value")
    storage_option(ls)
    ls.set_defaults(handler=_list)

    show = sub.add_parser("show", help="a sweep's trials (params, values, runs) and best trials")
    show.add_argument("study")
    storage_option(show)
    show.set_defaults(handler=_show)

    stop = sub.add_parser("stop", help="start no new trials; running ones finish (or cancel)")
    stop.add_argument("study")
    stop.add_argument(
        "--cancel-running", action="store_true", help="also cancel the trials running now"
    )
    storage_option(stop)
    stop.set_defaults(handler=_stop)

    resume = sub.add_parser("resume", help="resume a stopped or unfinished sweep")
    resume.add_argument("study")
    resume.add_argument("--workers", type=workers_arg, default=1, help="a number, or auto")
    resume.add_argument("--detach", action="store_true")
    storage_option(resume)
    resume.set_defaults(handler=_resume)

    enqueue = sub.add_parser("enqueue", help="queue a trial with an existing run's parameters")
    enqueue.add_argument("study")
    enqueue.add_argument("--from-run", type=int, required=True, metavar="RUN_ID")
    storage_option(enqueue)
    enqueue.set_defaults(handler=_enqueue)


def _open(args: argparse.Namespace) -> tuple[Any, Any, str]:
    from paretolab.store import RunStore
    from sweeps.storage import default_storage_url, open_storage
    from sweeps.study import RetryStaleTrial

    store = RunStore()
    url = args.storage or default_storage_url()
    return store, open_storage(url, RetryStaleTrial(store)), url


def workers_arg(text: str) -> int | str:
    """argparse's type for ``--workers``: a number from 1 to 64, or ``auto`` (one per free GPU)."""
    if text == "auto":
        return text
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(
            f"give 1 to 64 workers, or auto (one per free GPU); got {text!r}"
        )
    return int(text)


def _run(args: argparse.Namespace) -> int:
    from paretolab.auth import os_user
    from paretolab.config.io import apply_overrides
    from paretolab.devices import detect
    from sweeps.budget_check import OVER_BUDGET_ATTR, check_sweep_launch
    from sweeps.spec import load_spec, parse_spec
    from sweeps.storage import printable
    from sweeps.study import create_sweep
    from sweeps.worker_gpus import place_workers

    spec = load_spec(args.spec, args.study)
    if args.overrides:
        fixed = apply_overrides({}, args.overrides)
        flat = {**spec.fixed, **_flatten(fixed)}
        spec = parse_spec({**spec.model_dump(mode="json"), "fixed": flat}, args.spec)
    store, storage, url = _open(args)
    placement = place_workers(args.workers, spec, store)  # before the sweep is created
    owner = args.owner or os_user()
    projection, note = check_sweep_launch(
        store, spec, owner, detect(), args.confirm_over_budget, "--confirm-over-budget"
    )
    study = create_sweep(spec, storage, owner=owner)
    if note is not None:
        study.set_user_attr(OVER_BUDGET_ATTR, f"confirmed by {owner or 'an unnamed user'}: {note}")
    echo(
        f"sweep {spec.study}: {spec.n_trials} trials, {placement.count} worker(s), "
        f"storage {printable(url)}"
    )
    if projection is not None:
        echo(f"projected: {_money(projection)} ({projection.basis})")
    return start_workers(spec.study, url, placement, store, args.detach)


def _money(projection: Any) -> str:
    usd = "no price" if projection.usd is None else f"${projection.usd:,.2f}"
    return f"{usd}, {projection.device_hours:,.2f} device-hours"


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _worker(args: argparse.Namespace) -> int:
    from sweeps.worker import main

    storage = ["--storage", args.storage] if args.storage else []
    return main([args.study, "--index", str(args.index), *storage])


def _list(args: argparse.Namespace) -> int:
    from sweeps.analysis import summaries
    from sweeps.storage import printable
    from sweeps.study import sweep_names

    _, storage, url = _open(args)
    names = sweep_names(storage)
    if not names:
        echo(
            f"no sweeps in {printable(url)}; start one with "
            "`paretolab sweep run configs/sweeps/tiny.yaml`"
        )
        return 0
    echo(summaries(storage, names).to_string(index=False))
    return 0


def _show(args: argparse.Namespace) -> int:
    print_show(args.study, args.storage)
    return 0


def _stop(args: argparse.Namespace) -> int:
    from sweeps.study import load_sweep, stop

    store, storage, _ = _open(args)
    study, _spec = load_sweep(storage, args.study)
    cancelled = stop(study, store, args.cancel_running)
    what = f"; cancelling runs {', '.join(map(str, cancelled))}" if cancelled else ""
    echo(f"sweep {args.study} stopped: no new trials{what}")
    return 0


def _resume(args: argparse.Namespace) -> int:
    from sweeps.study import load_sweep, resume
    from sweeps.worker_gpus import place_workers

    store, storage, url = _open(args)
    study, spec = load_sweep(storage, args.study)
    placement = place_workers(args.workers, spec, store)
    resume(study)
    return start_workers(args.study, url, placement, store, args.detach)


def _enqueue(args: argparse.Namespace) -> int:
    from sweeps.study import enqueue_from_run, load_sweep

    store, storage, _ = _open(args)
    study, spec = load_sweep(storage, args.study)
    enqueue_from_run(study, spec, store, args.from_run)
    echo(f"queued a trial of {args.study} with run {args.from_run}'s parameters")
    return 0
