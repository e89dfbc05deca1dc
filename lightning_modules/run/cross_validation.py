"""k-fold cross-validation: k models in one run, each validated on one fold, then mean ± std.

With ``data.cv_folds: k`` the run's test split is held out as usual and the rest is cut
into k stratified folds (``SplitDataModule.split_indices``). Fold i trains a fresh model
on the other k − 1 folds and validates on fold i, in its own folder ``folds/fold_{i}/``
laid out like a run folder (its own tokenizer — trained on that fold's training part
only, so nothing of the validation fold leaks into the vocabulary — checkpoints, test
artifacts). Its metrics go to the store prefixed ``fold{i}/``, with steps from 0, so the
folds' curves overlay.

At the end every val and test metric is summarised over the folds: ``cv_{metric}_mean``
and ``cv_{metric}_std`` (sample standard deviation, n − 1), and the plain ``{metric}`` is
set to the mean so run tables, comparisons and benchmarks read a CV run like any other.
A fold's val metrics are those of its best epoch by ``trainer.monitor`` (the checkpoint
it is tested with). ``cv_summary.json`` holds the per-fold values and the summary.

A fold that fails fails the run; a cancel stops the fold in progress and starts no other.
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from paretolab.store import MetricPoint, RunStore

log = logging.getLogger(__name__)

SUMMARY_FILE = "cv_summary.json"

FitFold = Callable[[int], dict[str, float]]
"""Trains and tests fold i; returns its best-epoch val metrics and its test metrics."""


def fold_dir(run_dir: Path, fold: int) -> Path:
    """The folder of fold ``fold``: tokenizer, ``checkpoints/``, test artifacts."""
    return Path(run_dir) / "folds" / f"fold_{fold}"


def fold_prefix(fold: int) -> str:
    """The prefix of fold ``fold``'s metric keys in the store (``fold0/val_acc``)."""
    return f"fold{fold}/"


class ValidationRecord(pl.Callback):
    """Keeps every validation epoch's ``val_*`` metrics, to report the best epoch's."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self.epochs.append(
            {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
        )

    def best(self, monitor: str, mode: str) -> dict[str, float]:
        """The metrics of the epoch the checkpoint callback keeps as ``best``.

        That is the first epoch with the best finite ``monitor`` (the checkpoint is only
        replaced on a strict improvement); the last epoch if none is finite; ``{}`` if
        validation never ran.
        """
        scored = [
            (e[monitor], i)
            for i, e in enumerate(self.epochs)
            if monitor in e and math.isfinite(e[monitor])
        ]
        if not scored:
            return dict(self.epochs[-1]) if self.epochs else {}
        sign = 1.0 if mode == "min" else -1.0
        _, best = min(scored, key=lambda vi: (sign * vi[0], vi[1]))
        return dict(self.epochs[best])


def cross_validate(
    store: RunStore,
    run_id: int,
    run_dir: Path,
    folds: int,
    fit_fold: FitFold,
    check_cancelled: Callable[[], None],
) -> dict[str, Any]:
    """Train and test every fold in turn, then log and write the summary.

    Args:
        store: the run store (summary metrics are written to it).
        run_id: the run.
        run_dir: the run's folder (``cv_summary.json`` goes there).
        folds: ``data.cv_folds``.
        fit_fold: trains and tests one fold (see ``FitFold``).
        check_cancelled: raises if a cancel arrived; called before each fold.

    Returns:
        The summary written to ``cv_summary.json``.
    """
    per_fold = []
    for fold in range(folds):
        check_cancelled()
        log.info("run %s: cross-validation fold %d of %d", run_id, fold + 1, folds)
        per_fold.append(fit_fold(fold))
    summary = summarize(per_fold)
    store.log_metrics(run_id, summary_points(summary))
    path = Path(run_dir) / SUMMARY_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return summary


def summarize(per_fold: list[dict[str, float]]) -> dict[str, Any]:
    """Per-fold metrics and, for each metric every fold reported, its mean and sample std."""
    keys = sorted(k for k in per_fold[0] if all(k in f for f in per_fold))
    columns = {k: [f[k] for f in per_fold] for k in keys}
    return {
        "folds": len(per_fold),
        "per_fold": [{"fold": i, **f} for i, f in enumerate(per_fold)],
        "mean": {k: statistics.fmean(v) for k, v in columns.items()},
        "std": {k: statistics.stdev(v) if len(v) > 1 else 0.0 for k, v in columns.items()},
    }


def summary_points(summary: dict[str, Any]) -> list[MetricPoint]:
    """``cv_{k}_mean``, ``cv_{k}_std`` and ``{k}`` (= the mean) for every summarised metric."""
    now = time.time()
    points: list[MetricPoint] = []
    for key, mean in summary["mean"].items():
        points += [
            (f"cv_{key}_mean", 0, mean, now),
            (f"cv_{key}_std", 0, summary["std"][key], now),
            (key, 0, mean, now),
        ]
    return points
