"""Random resized crops of training images: shape and range kept, val and test untouched."""

import torch

from lightning_modules.data.modules.image_classification import (
    ImageClassificationData,
    augment_image,
    random_resized_crop,
)
from paretolab.config.io import load_config
from tests.conftest import REPO


def test_a_crop_zooms_into_a_random_box_and_keeps_shape_and_range() -> None:
    torch.manual_seed(0)
    image = torch.rand(1, 28, 28)
    crops = [random_resized_crop(image, 0.6) for _ in range(20)]
    assert all(c.shape == image.shape and 0 <= c.min() <= c.max() <= 1 for c in crops)
    assert len({c.sum().item() for c in crops}) > 10  # boxes of varied size and place
    assert torch.equal(random_resized_crop(image, 1.0), image)  # the whole image: unchanged
    # Zooming in moves a pixel away from the centre: a dot near a corner leaves the frame.
    dot = torch.zeros(1, 28, 28)
    dot[0, 1, 1] = 1.0
    assert any(random_resized_crop(dot, 0.5).sum() == 0 for _ in range(20))


def test_crop_probability_decides_how_often_images_change() -> None:
    torch.manual_seed(0)
    image = torch.rand(1, 28, 28)
    changed = [not torch.equal(augment_image(image, 0, 0.0, 0.5, 0.3), image) for _ in range(400)]
    # Half are cropped; 5% of those boxes round to the whole image (area share > 0.965).
    assert 0.4 < sum(changed) / len(changed) < 0.55
    assert torch.equal(augment_image(image, 0, 0.0, 0.0, 0.3), image)


def test_crops_change_training_images_but_never_val_or_test(tmp_path) -> None:
    cfg = load_config(
        REPO / "configs" / "digits_tiny.yaml",
        ["wandb.mode=disabled", "augment.image_crop=1.0", "augment.image_crop_scale=0.5"],
    )
    data = ImageClassificationData(cfg, tmp_path)
    data.setup("fit")
    torch.manual_seed(0)
    train = data.splits["train"]
    seen = [train[0]["pixels"] for _ in range(10)]
    assert any(not torch.equal(s, train.images[0]) for s in seen)
    assert all(s.shape == (1, 8, 8) and 0 <= s.min() <= s.max() <= 1 for s in seen)
    for name in ("val", "test"):
        split = data.splits[name]
        assert split.augment is None
        assert all(torch.equal(split[i]["pixels"], split.images[i]) for i in range(len(split)))
