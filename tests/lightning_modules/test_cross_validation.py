"""k-fold cross-validation: folds, per-fold training, mean ± std, cancel and failure."""

import json
import os
import re
import signal
import statistics
from collections import Counter

import lightning.pytorch as pl
import pytest

from benchmarks.fault_scenarios import training_process, wait_for_steps
from lightning_modules.data.folds import kfold_assignment
from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.modules.regression import TextRegressionData, target_stats
from lightning_modules.run.cross_validation import ValidationRecord, cross_validate, summarize
from lightning_modules.run.lifecycle import CancelRequested
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.cli import main
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.lightning_modules.test_regression import number_csv, regression_config

LABELS = ["a"] * 50 + ["b"] * 31 + ["c"] * 12 + ["d"] * 7


def test_folds_partition_the_pool_stratified_and_seeded() -> None:
    pool = list(range(100))
    folds = kfold_assignment(LABELS, pool, 4, seed=3)
    assert sorted(i for f in folds for i in f) == pool  # a partition: no gaps, no overlap
    assert max(map(len, folds)) - min(map(len, folds)) <= 1
    for label in "abcd":
        per_fold = [sum(LABELS[i] == label for i in f) for f in folds]
        assert max(per_fold) - min(per_fold) <= 1, (label, per_fold)
    assert kfold_assignment(LABELS, pool, 4, seed=3) == folds
    assert kfold_assignment(LABELS, pool, 4, seed=4) != folds
    with pytest.raises(UserError, match="data.cv_folds=5 needs at least 5 examples"):
        kfold_assignment(LABELS, [1, 2, 3], 5, seed=0)


def test_each_fold_validates_on_its_own_part_of_the_non_test_data(tmp_path) -> None:
    cfg = tiny_config("data.cv_folds=3")
    plain = SplitDataModule(cfg, tmp_path).split_indices(LABELS)
    vals, tests = [], []
    for fold in range(3):
        module = SplitDataModule(cfg, tmp_path)
        module.fold = fold
        train, val, test = module.split_indices(LABELS)
        assert not set(train) & set(val) and sorted(train + val + test) == list(range(100))
        vals.append(val)
        tests.append(test)
    assert all(t == plain[2] for t in tests)  # the test split stays held out, unchanged
    assert sorted(i for v in vals for i in v) == sorted(plain[0] + plain[1])
    for val in vals:  # stratified: each fold holds about a third of every label
        counts = Counter(LABELS[i] for i in val)
        pool = Counter(LABELS[i] for i in plain[0] + plain[1])
        assert all(abs(counts[k] - pool[k] / 3) <= 1 for k in pool), counts


def test_a_regression_fold_standardises_with_its_own_training_part(tmp_path) -> None:
    cfg = regression_config(number_csv(tmp_path), "data.cv_folds=3")
    folds = []
    for fold in range(2):
        (tmp_path / f"fold{fold}").mkdir()
        data = TextRegressionData(cfg, tmp_path / f"fold{fold}")
        data.fold = fold
        data.setup("fit")
        train = data.splits["train"].labels
        assert (data.target_mean, data.target_std) == target_stats(train)
        assert len(data.splits["val"]) in (90, 91) and len(data.splits["test"]) == 30
        folds.append(set(data.splits["val"].labels))
    assert not folds[0] & folds[1]


def test_the_best_validation_epoch_is_the_one_the_checkpoint_keeps() -> None:
    record = ValidationRecord()
    record.epochs = [
        {"val_loss": 1.0, "val_acc": 0.5},
        {"val_loss": float("nan"), "val_acc": 0.9},
        {"val_loss": 0.7, "val_acc": 0.8},
        {"val_loss": 0.7, "val_acc": 0.6},
        {"val_loss": 0.9, "val_acc": 0.8},
    ]
    assert record.best("val_loss", "min") == {"val_loss": 0.7, "val_acc": 0.8}
    assert record.best("val_acc", "max")["val_acc"] == 0.9
    assert ValidationRecord().best("val_loss", "min") == {}


def test_summary_is_mean_and_sample_std_of_metrics_every_fold_has() -> None:
    per_fold = [{"val_acc": 0.8, "x": 1.0}, {"val_acc": 0.9}, {"val_acc": 0.7}]
    summary = summarize(per_fold)
    assert summary["mean"] == {"val_acc": pytest.approx(0.8)}
    assert summary["std"] == {"val_acc": pytest.approx(0.1)}
    assert [f["fold"] for f in summary["per_fold"]] == [0, 1, 2]


def test_a_cancel_between_folds_starts_no_other_fold(store: RunStore, tmp_path) -> None:
    trained = []
    cancelled = []

    def fit_fold(fold: int) -> dict[str, float]:
        trained.append(fold)
        cancelled.append(True)  # SIGTERM arrives while this fold finishes
        return {"val_acc": 0.5}

    def check_cancelled() -> None:
        if cancelled:
            raise CancelRequested("cancelled")

    with pytest.raises(CancelRequested):
        cross_validate(store, 1, tmp_path, 3, fit_fold, check_cancelled)
    assert trained == [0] and not (tmp_path / "cv_summary.json").exists()


@pytest.mark.slow
def test_a_three_fold_run_logs_folds_and_their_mean_and_std(store: RunStore, capsys) -> None:
    run_id = queue_run(store, tiny_config("data.cv_folds=3", "trainer.max_epochs=2"))
    assert run_training(store, run_id) == "finished"
    latest = {k: m.value for k, m in store.latest_metrics(run_id).items()}
    best_val, test = [], []
    for fold in range(3):
        history = store.metric_history(run_id, f"fold{fold}/val_acc")
        assert len(history.values) == 2 and len(
            store.metric_history(run_id, f"fold{fold}/train_loss").values
        )
        best_val.append(max(history.values))  # monitor val_acc, mode max
        test.append(latest[f"fold{fold}/test_acc"])
    for name, values in (("val_acc", best_val), ("test_acc", test)):
        assert latest[f"cv_{name}_mean"] == pytest.approx(statistics.fmean(values))
        assert latest[f"cv_{name}_std"] == pytest.approx(statistics.stdev(values))
        assert latest[name] == latest[f"cv_{name}_mean"]
    summary = json.loads((settings.run_dir(run_id) / "cv_summary.json").read_text())
    assert [f["test_acc"] for f in summary["per_fold"]] == pytest.approx(test)
    kinds = {a.path: a.kind for a in store.list_artifacts(run_id)}
    assert kinds["cv_summary.json"] == "cv_summary"
    for fold in range(3):
        assert kinds[f"folds/fold_{fold}/checkpoints/best.ckpt"] == "checkpoint"
        assert kinds[f"folds/fold_{fold}/tokenizer.json"] == "tokenizer"

    assert main(["runs", "show", str(run_id)]) == 0
    out = capsys.readouterr().out
    shown = re.search(r"\n  val_acc +([\d.e-]+) ± ([\d.e-]+) \(3 folds\)\n", out)
    assert shown, f"no cross-validation line for val_acc in:\n{out}"
    assert float(shown[1]) == pytest.approx(statistics.fmean(best_val), rel=2e-3, abs=6e-4)
    assert float(shown[2]) == pytest.approx(statistics.stdev(best_val), rel=2e-3, abs=6e-4)
    assert "fold0/" not in out  # per-fold series are summarised, not listed


class FailInSecondFold(pl.Callback):
    def __init__(self) -> None:
        self.fits = 0

    def on_train_start(self, trainer, pl_module) -> None:
        self.fits += 1
        if self.fits == 2:
            raise RuntimeError("fold 1 broke")


@pytest.mark.slow
def test_a_failing_fold_fails_the_run(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("data.cv_folds=3", "trainer.max_epochs=1"))
    assert run_training(store, run_id, extra_callbacks=[FailInSecondFold()]) == "failed"
    assert "RuntimeError: fold 1 broke" in store.get_run(run_id).error
    keys = store.metric_keys(run_id)
    assert "fold0/val_acc" in keys and not any(k.startswith("cv_") for k in keys)
    assert not (settings.run_dir(run_id) / "cv_summary.json").exists()


@pytest.mark.slow
def test_sigterm_during_a_fold_cancels_the_run(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("data.cv_folds=3", "trainer.max_epochs=10000"))
    with training_process(store, run_id) as proc:
        wait_for_steps(store, run_id, 3, key="fold0/train_loss")
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 130
    assert store.get_run(run_id).status == "cancelled"
    assert not any(k.startswith(("fold1/", "cv_")) for k in store.metric_keys(run_id))
    assert (settings.run_dir(run_id) / "folds/fold_0/checkpoints/last.ckpt").is_file()
