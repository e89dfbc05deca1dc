"""A task added through the two registries alone (core table + lightning_modules table)
is accepted by the config, seen by the old tables, and trains with the normal train entry."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from lightning_modules import registry
from lightning_modules.data.modules.classification import TextClassificationData, encode_text_splits
from lightning_modules.run.train import run_training
from lightning_modules.tasks import ClassificationTask, restore_task
from paretolab import tasks
from paretolab.config import DATASET_TASKS, FAMILY_TASKS, TASK_VAL_METRICS
from paretolab.config.io import parse_config
from paretolab.errors import ConfigError
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config

TASK, DATASET = "toy_majority", "toy_colours"
METRICS = ("val_loss", "val_acc", "val_f1", "val_precision", "val_recall")


class ColourWords(TextClassificationData):
    """Nine colour words per text; the label is the colour named most often."""

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        rng = random.Random(0)
        texts = [" ".join(rng.choice(("red", "blue")) for _ in range(9)) for _ in range(200)]
        labels = [max(("red", "blue"), key=t.split().count) for t in texts]
        self.class_names = sorted(set(labels))
        ids = [self.class_names.index(label) for label in labels]
        parts = dict(zip(("train", "val", "test"), self.split_indices(labels), strict=True))
        tok, self.splits = encode_text_splits(self.config, self.run_dir, texts, ids, parts)
        self.vocab_size = tok.get_vocab_size()


@pytest.fixture
def toy_task() -> Iterator[str]:
    tasks.register_task(
        tasks.TaskSpec(
            TASK,
            METRICS,
            families=("encoder_classifier",),
            datasets=(DATASET,),
            headline_metrics=("val_acc",),
            monitor="val_f1",
        )
    )
    registry.register(TASK, registry.TaskModules(ClassificationTask, ColourWords))
    yield TASK
    registry.unregister(TASK)
    tasks.unregister_task(TASK)


def test_a_registered_task_is_a_config_choice_and_in_the_old_tables(toy_task: str) -> None:
    config = tiny_config(f"task={toy_task}", f"data.dataset={DATASET}", "trainer.monitor=val_acc")
    assert (config.task, config.data.dataset) == (TASK, DATASET)
    assert TASK_VAL_METRICS[TASK] == METRICS
    assert DATASET_TASKS[DATASET] == (TASK,) and TASK in DATASET_TASKS["file"]
    assert TASK in FAMILY_TASKS["encoder_classifier"]
    # Where the config names none, the metric monitored is the task's default.
    config = parse_config({"task": toy_task, "data": {"dataset": DATASET}})
    assert config.trainer.monitor == "val_f1"
    assert parse_config({}).trainer.monitor == "val_loss"


def test_an_unregistered_task_is_refused_again(toy_task: str) -> None:
    registry.unregister(TASK)
    tasks.unregister_task(TASK)
    with pytest.raises(ConfigError, match=f"task='{TASK}': Input should be 'classification'"):
        tiny_config(f"task={TASK}", "data.dataset=bbc_news")
    with pytest.raises(ConfigError, match=f"data.dataset='{DATASET}': Input should be"):
        tiny_config(f"data.dataset={DATASET}")


def test_a_registered_task_trains_with_the_normal_train_entry(
    toy_task: str, store: RunStore
) -> None:
    config = tiny_config(
        f"task={toy_task}", f"data.dataset={DATASET}", "trainer.max_epochs=2", "data.batch_size=32"
    )
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    assert store.get_run(run_id).task == TASK
    latest = store.latest_metrics(run_id)
    assert {"train_loss", *METRICS, "test_acc"} <= set(latest)
    # Its checkpoint restores through the same table.
    from lightning_modules.run.init_from import read_checkpoint
    from paretolab import settings

    checkpoint = read_checkpoint(settings.run_dir(run_id) / "checkpoints" / "last.ckpt")
    assert isinstance(restore_task(checkpoint), ClassificationTask)


def test_a_task_registered_after_import_shows_in_the_runs_table(store) -> None:
    from paretolab import run_table_spec

    spec = tasks.TaskSpec(
        "toy_scored",
        METRICS,
        families=("encoder_classifier",),
        headline_metrics=("test_toy_score",),
    )
    tasks.register_task(spec)
    try:
        keys = [c.key for c in run_table_spec.run_table_metrics()]
        assert "test_toy_score" in keys
        queue_run(store, tiny_config())
        assert "test_toy_score" in run_table_spec.run_table(store)
    finally:
        tasks.unregister_task("toy_scored")
    assert "test_toy_score" not in [c.key for c in run_table_spec.run_table_metrics()]
