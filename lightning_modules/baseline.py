"""A classical baseline on a run's own split: is the Transformer worth its cost?

- text classification: TF-IDF (word 1–2-grams; character 1–3-grams for Chinese or
  Japanese text) + logistic regression;
- image classification: logistic regression on the pixels;
- regression: TF-IDF + ridge regression.

The examples, the ``limit_samples`` subsample and the train/val/test split come from the
same functions the Transformer's data modules use, so the baseline is scored on exactly
the run's val and test examples. Its cost is its fit-and-score time on this machine's
catalog entry (``cpu``). Run as ``python -m lightning_modules.baseline`` with the run config as JSON on
standard input; the result is stored (``paretolab.baselines``) and printed as JSON.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from lightning_modules.data.folds import quantile_strata
from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.sources import load_images, load_labelled_texts, load_regression_texts
from paretolab.baselines import BASELINE_TASKS, save_baseline, split_key, split_label
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.costing.catalog import load_catalog
from paretolab.costing.pricing import spend
from paretolab.errors import UserError

_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def train_baseline(config: RunConfig) -> dict[str, Any]:
    """Fit the task's classical baseline on the config's split and score it on val and test.

    Raises:
        UserError: the task has no classical baseline here.
    """
    if config.task not in BASELINE_TASKS:
        raise UserError(
            f"no classical baseline for task {config.task!r}; baselines exist for "
            f"{', '.join(BASELINE_TASKS)}"
        )
    inputs, targets, strata, kind = _examples(config)
    splits = SplitDataModule(config, Path())  # only its split rules: the folder is unused
    keep = splits.limit_indices(strata)
    if keep is not None:
        inputs, targets, strata = _take(inputs, keep), _take(targets, keep), _take(strata, keep)
    train, val, test = splits.split_indices(strata)
    from threadpoolctl import threadpool_limits

    model, name = _model(config, inputs)
    start = time.perf_counter()  # like a run's fit time: data loading is not billed
    # One BLAS thread: these fits are small, and on a shared CPU more threads made them 7×
    # slower (they wait on each other).
    with threadpool_limits(limits=1):
        model.fit(_take(inputs, train), _take(targets, train))
        metrics: dict[str, float] = {}
        for stage, idx in (("val", val), ("test", test)):
            predicted = model.predict(_take(inputs, idx))
            metrics |= _score(config.task, stage, _take(targets, idx), predicted)
    seconds = time.perf_counter() - start
    bill = spend(load_catalog(), "cpu", seconds)
    return {
        "split_key": split_key(config),
        "split": split_label(config),
        "task": config.task,
        "model": name,
        "examples": {"train": len(train), "val": len(val), "test": len(test)},
        "metrics": metrics,
        "wall_seconds": seconds,
        "cost": bill.as_dict(),
        "created_at": time.time(),
        "inputs": kind,
    }


def _examples(config: RunConfig) -> tuple[Any, list, list[str], str]:
    """Inputs, targets, stratification labels, and what the inputs are."""
    if config.task == "classification":
        texts, labels = load_labelled_texts(config)
        return texts, labels, labels, "texts"
    if config.task == "regression":
        texts, values = load_regression_texts(config)
        values = [float(v) for v in values]
        return texts, values, quantile_strata(values), "texts"
    images, labels = load_images(config)
    return images.reshape(len(images), -1), labels, labels, "pixels"


def _take(items: Any, idx: list[int]) -> Any:
    return items[idx] if isinstance(items, np.ndarray) else [items[i] for i in idx]


def _model(config: RunConfig, inputs: Any) -> tuple[Any, str]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if config.task == "image_classification":
        return (
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
            "logistic regression on pixels",
        )
    sample = " ".join(inputs[:200])
    if len(_CJK.findall(sample)) > 0.2 * max(len(sample), 1):
        tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
        what = "TF-IDF (character 1–3-grams)"
    else:
        tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        what = "TF-IDF (word 1–2-grams)"
    if config.task == "regression":
        return make_pipeline(tfidf, Ridge(alpha=1.0)), f"{what} + ridge regression"
    return make_pipeline(tfidf, LogisticRegression(max_iter=2000, C=10.0)), (
        f"{what} + logistic regression"
    )


def _score(task: str, stage: str, truth: list, predicted: Any) -> dict[str, float]:
    """The metrics a Transformer run of the task reports, under the same names."""
    from sklearn import metrics as m

    if task == "regression":
        truth_arr, pred = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
        return {
            f"{stage}_loss": float(m.mean_squared_error(truth_arr, pred)),
            f"{stage}_mae": float(m.mean_absolute_error(truth_arr, pred)),
            f"{stage}_rmse": float(np.sqrt(m.mean_squared_error(truth_arr, pred))),
            f"{stage}_r2": float(m.r2_score(truth_arr, pred)),
        }
    macro = {"average": "macro", "zero_division": 0}
    return {
        f"{stage}_acc": float(m.accuracy_score(truth, predicted)),
        f"{stage}_f1": float(m.f1_score(truth, predicted, **macro)),
        f"{stage}_precision": float(m.precision_score(truth, predicted, **macro)),
        f"{stage}_recall": float(m.recall_score(truth, predicted, **macro)),
    }


def main() -> int:
    """Read a run config (JSON) on stdin, train its baseline, store and print the result."""
    try:
        config = parse_config(json.loads(sys.stdin.read()))
        result = train_baseline(config)
    except UserError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    save_baseline(result["split_key"], result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
