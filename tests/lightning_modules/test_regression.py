"""Text regression: quantile-stratified split, train-only standardisation, a tiny run end to end."""

import csv
import math
import random
from pathlib import Path

import pytest
import torch
from num2words import num2words

from lightning_modules.data.folds import quantile_strata
from lightning_modules.data.modules.regression import TextRegressionData, target_stats
from lightning_modules.run.train import run_training
from lightning_modules.tasks.regression import RegressionTask
from paretolab import settings
from paretolab.config.io import load_config
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

TINY_REGRESSION = REPO / "configs" / "regression_tiny.yaml"


def number_csv(folder: Path, count: int = 300, constant: float | None = None) -> Path:
    """``count`` distinct numbers below 1000 written out ("two hundred and twelve") with
    their value (212.0) — in original units, far from mean 0 / std 1."""
    numbers = random.Random(1).sample(range(1000), count)
    path = folder / "numbers.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(
            (num2words(n), float(n) if constant is None else constant) for n in numbers
        )
    return path


def regression_config(csv_path: Path, *overrides: str):
    return load_config(
        TINY_REGRESSION,
        ["wandb.mode=disabled", f"data.path={csv_path}", "data.label_column=label", *overrides],
    )


def test_quantile_strata_are_equal_sized_bins_in_value_order() -> None:
    values = [float(v) for v in random.Random(0).sample(range(10_000), 200)]
    strata = quantile_strata(values)
    assert sorted(set(strata)) == [f"q{i}" for i in range(10)]
    assert all(strata.count(f"q{i}") == 20 for i in range(10))
    by_value = [strata[i] for i in sorted(range(200), key=values.__getitem__)]
    assert by_value == sorted(by_value, key=lambda q: int(q[1:]))


def test_split_spans_the_value_range_and_targets_are_standardised_with_train_stats(
    tmp_path,
) -> None:
    data = TextRegressionData(regression_config(number_csv(tmp_path)), tmp_path)
    data.setup("fit")
    train, val, test = (data.splits[s].labels for s in ("train", "val", "test"))
    assert (len(train), len(val), len(test)) == (240, 30, 30)
    everything = sorted(train + val + test)
    for part in (val, test):  # every decile of the values is represented
        assert min(part) <= everything[30] and max(part) >= everything[-31]
    mean, std = target_stats(train)
    assert (data.target_mean, data.target_std) == (mean, std)
    assert (data.target_mean, data.target_std) != target_stats(everything)
    assert data.test_texts and len(data.test_texts) == len(test)

    task = RegressionTask(data.config.model_dump(mode="json"), data.vocab_size, mean, std)
    torch.nn.init.zeros_(task.model.head[1].weight)
    torch.nn.init.zeros_(task.model.head[1].bias)
    batch = next(iter(data.train_dataloader()))
    assert batch["labels"].dtype == torch.float32
    # A network that outputs 0 (standardised) predicts the training mean, in original units,
    assert torch.allclose(task(batch), torch.full((len(batch["labels"]),), mean))
    # and its training loss is the MSE of the standardised targets.
    z = (batch["labels"] - mean) / std
    task.log = lambda *args, **kwargs: None  # no trainer attached
    task.log_lr = lambda: None
    assert torch.isclose(task.training_step(batch, 0), (z**2).mean())


def test_a_constant_target_is_a_clear_error(tmp_path) -> None:
    cfg = regression_config(number_csv(tmp_path, constant=3.0))
    with pytest.raises(
        UserError, match=r"numbers.csv.*every row has the target 3 in column 'label'"
    ):
        TextRegressionData(cfg, tmp_path).setup("fit")


def test_a_tiny_regression_run_learns_and_reports_in_original_units(
    store: RunStore, tmp_path
) -> None:
    run_id = queue_run(store, regression_config(number_csv(tmp_path)))
    assert run_training(store, run_id) == "finished"
    latest = {k: m.value for k, m in store.latest_metrics(run_id).items()}
    assert {"train_loss", "val_loss", "val_mae", "val_rmse", "val_r2"} <= set(latest)
    assert latest["test_r2"] > 0.8, latest  # a mean predictor scores 0 (this run: ~0.98)

    kinds = {a.path: a.kind for a in store.list_artifacts(run_id)}
    assert kinds["predictions.csv"] == "predictions"
    with open(settings.run_dir(run_id) / "predictions.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 30
    target = [float(r["target"]) for r in rows]
    prediction = [float(r["prediction"]) for r in rows]
    # Targets are the file's own numbers (written out in the text), not standardised values.
    assert all(
        num2words(int(t)) == r["text"] and t == int(t) for t, r in zip(target, rows, strict=True)
    )
    errors = [p - t for p, t in zip(prediction, target, strict=True)]
    mae = sum(map(abs, errors)) / len(errors)
    mse = sum(e * e for e in errors) / len(errors)
    mean = sum(target) / len(target)
    r2 = 1 - mse / (sum((t - mean) ** 2 for t in target) / len(target))
    assert latest["test_mae"] == pytest.approx(mae, rel=1e-4)
    assert latest["test_loss"] == pytest.approx(mse, rel=1e-4)
    assert latest["test_rmse"] == pytest.approx(math.sqrt(mse), rel=1e-4)
    assert latest["test_r2"] == pytest.approx(r2, abs=1e-4)
    assert mae > 1.0  # original units (0–999): a standardised error would be far below 1
