"""Runs as the CLI prints them: the runs list, the one-line summary after training, and the
full report of ``paretolab runs show``."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from datetime import datetime

from paretolab import monitoring, settings
from paretolab.config import TASK_VAL_METRICS
from paretolab.config.io import dump_config, parse_config
from paretolab.costing.run_figures import cost_figures
from paretolab.executors import slurm
from paretolab.number_format import format_metric
from paretolab.store import LatestMetric, Run, RunStore
from paretolab.terminal import printable, text_table


def runs_table(store: RunStore, runs: Sequence[Run]) -> str:
    """A fixed-width table of runs with their headline metrics."""
    if not runs:
        return "no runs yet: start one with `paretolab train configs/tiny.yaml`"
    latest = store.latest_metrics_of([r.id for r in runs])
    now = time.time()
    header = ["ID", "STATUS", "NAME", "OWNER", "CREATED", "DURATION"]
    header += ["VAL_LOSS", "VAL_ACC", "TEST_ACC"]
    rows = []
    for r in runs:
        m = latest.get(r.id, {})
        rows.append(
            [
                str(r.id),
                printable(r.status_text)[:68],
                printable(r.name)[:40],
                printable(r.owner or "-")[:20],
                _when(r.created_at),
                _duration(r.duration(now)),
                *(_num(m[k].value) if k in m else "-" for k in ("val_loss", "val_acc", "test_acc")),
            ]
        )
    return text_table(header, rows)


def run_summary(store: RunStore, run_id: int) -> str:
    """One line: status and headline metrics, printed when ``paretolab train`` ends."""
    run = store.get_run(run_id)
    metrics = store.latest_metrics(run_id)
    shown = [
        # A cross-validated run's value is the mean over its folds: add their spread.
        f"{k}={_num(metrics[k].value)}"
        + (f" ± {_num(metrics[f'cv_{k}_std'].value)}" if f"cv_{k}_std" in metrics else "")
        for k in ("test_acc", "test_f1", "test_ppl", "test_bpc", "test_r2", "val_acc", "val_loss")
        if k in metrics
    ]
    line = f"run {run_id} {run.status}" + (": " + ", ".join(shown) if shown else "")
    if run.error:
        line += f"\nerror: {printable(run.error.strip().splitlines()[-1])}"
    return line


def run_report(store: RunStore, run_id: int) -> str:
    """Everything about one run: status, times, latest metrics, artifacts, config."""
    run = store.get_run(run_id)
    metrics = store.latest_metrics(run_id)
    lines = [
        f"run {run.id}: {printable(run.name)}",
        f"  status    {run.status}",
        f"  task      {run.task}",
        f"  created   {_when(run.created_at)}",
        f"  duration  {_duration(run.duration(time.time()))}",
        f"  process   {printable(run.host or '-')}:{run.pid or '-'}",
        f"  owner     {printable(run.owner or '-')}",
        f"  tags      {printable(', '.join(run.tags)) or '-'}",
        f"  folder    {settings.run_dir(run.id)}",
    ]
    if run.queue_reason and run.status == "queued":
        lines.append(f"  waiting   {printable(run.queue_reason)}")
    gpus = [h.gpu_index for h in store.gpu_holdings(run.host) if h.run_id == run.id]
    if gpus:
        lines.append(f"  gpus      {', '.join(map(str, gpus))} (CUDA_VISIBLE_DEVICES)")
    if run.study is not None:
        lines.append(f"  sweep     trial {run.trial_number} of {run.study}")
    job = slurm.job_of(run.id)
    if job is not None:
        lines.append(f"  slurm     job {job.job_id}, output in slurm-{job.job_id}.out")
    system = monitoring.system_summary(metrics)
    if monitoring.describe_summary(system):
        lines.append(f"  system    {monitoring.describe_summary(system)}")
    if system["low_util"]:
        lines.append(f"  flag      {system['low_util']}")
    figures = cost_figures(metrics)
    if figures.get("energy_kwh") is not None:  # the bill's energy, with its method
        kwh = format_metric("cost/energy_kwh", figures["energy_kwh"])
        lines.append(f"  energy    {kwh} ({figures['energy_source']})")
    if run.error:
        lines += [
            "",
            "error:",
            *("  " + printable(ln) for ln in run.error.rstrip().splitlines()[-15:]),
        ]
    order = list(TASK_VAL_METRICS.get(run.task, ()))
    cv = cv_lines(metrics, parse_config(run.config).data.cv_folds, order)
    if cv:
        lines += ["", "cross-validation (mean ± sample std over the folds):", *cv]
        # Per-fold series stay in the store (`runs export`); listing them all would bury the rest.
        metrics = {k: m for k, m in metrics.items() if not _CV_KEY.match(k)}
    keys = sorted(metrics, key=lambda k: (k not in order, order.index(k) if k in order else 0, k))
    width = max([20, *map(len, keys)])
    lines += ["", "latest metrics:"] + [
        f"  {k:<{width}} {format_metric(k, metrics[k].value):>14}  (step {metrics[k].step})"
        for k in keys
    ] or ["  none yet"]
    artifacts = store.list_artifacts(run_id)
    lines += ["", "artifacts:"] + [
        f"  {a.kind:<16} {a.path}  ({a.size_bytes:,} bytes)" for a in artifacts
    ]
    lines += [
        "",
        "config:",
        *("  " + ln for ln in dump_config(parse_config(run.config)).splitlines()),
    ]
    return "\n".join(lines)


_CV_KEY = re.compile(r"fold\d+/|cv_")


def cv_lines(metrics: dict[str, LatestMetric], folds: int | None, order: list[str]) -> list[str]:
    """A cross-validated run's metrics, one per line: ``val_acc 0.912 ± 0.015 (5 folds)``.

    Val metrics first, in the task's order (``order``), then test metrics; none without
    ``cv_*_mean`` / ``cv_*_std`` pairs.
    """
    names = [
        k[3:-5]
        for k in metrics
        if k.startswith("cv_") and k.endswith("_mean") and f"{k[:-5]}_std" in metrics
    ]

    def rank(name: str) -> tuple[bool, int, str]:
        as_val = "val_" + name.removeprefix("test_").removeprefix("val_")
        return name.startswith("test_"), order.index(as_val) if as_val in order else 99, name

    return [
        f"  {name:<20} {_short(metrics[f'cv_{name}_mean'].value)} ± "
        f"{_short(metrics[f'cv_{name}_std'].value)} ({folds or '?'} folds)"
        for name in sorted(names, key=rank)
    ]


def _short(value: float) -> str:
    """Three decimals (``0.912``), or three significant digits below 0.1 (``0.0071``)."""
    return f"{value:.3f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3g}"


def _num(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else str(value)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
