"""The image slice: digits, augmentation, a tiny ViT run end to end."""

import pytest
import torch

from lightning_modules.data.modules.image_classification import (
    ImageClassificationData,
    augment_image,
)
from lightning_modules.run.train import run_training
from paretolab.config.io import load_config
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

TINY_VIT = REPO / "configs" / "digits_tiny.yaml"


def tiny_vit(*overrides: str):
    return load_config(TINY_VIT, ["wandb.mode=disabled", *overrides])


def test_shift_moves_the_image_and_keeps_its_size() -> None:
    torch.manual_seed(0)
    image = torch.zeros(1, 8, 8)
    image[0, 4, 4] = 1.0
    shifted = {tuple(torch.nonzero(augment_image(image, 2, 0.0))[0].tolist()) for _ in range(40)}
    assert len(shifted) > 4 and all(2 <= y <= 6 and 2 <= x <= 6 for _, y, x in shifted)
    noisy = augment_image(image, 0, 0.1)
    assert noisy.shape == image.shape and not torch.equal(noisy, image)


def test_digits_split_is_stratified_and_pixels_in_range(tmp_path) -> None:
    data = ImageClassificationData(tiny_vit(), tmp_path)
    data.setup("fit")
    assert data.class_names == [str(i) for i in range(10)] and data.image_shape == (1, 8, 8)
    batch = next(iter(data.val_dataloader()))
    assert (
        batch["pixels"].shape[1:] == (1, 8, 8)
        and 0 <= batch["pixels"].min() <= batch["pixels"].max() <= 1
    )
    assert sum(len(s) for s in data.splits.values()) == 600


def test_a_patch_size_that_does_not_divide_the_image_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(UserError, match="model.patch_size=3 must divide the image size 8×8"):
        ImageClassificationData(tiny_vit("model.patch_size=3"), tmp_path).setup("fit")


@pytest.mark.slow
def test_a_tiny_vit_run_finishes_with_metrics_and_a_confusion_matrix(store: RunStore) -> None:
    run_id = queue_run(store, tiny_vit())
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    assert {"val_acc", "val_f1", "test_acc", "test_f1"} <= set(latest)
    assert latest["test_acc"].value > 0.2  # well above chance (0.1) after a few seconds
    assert "confusion_matrix.json" in {a.path for a in store.list_artifacts(run_id)}
