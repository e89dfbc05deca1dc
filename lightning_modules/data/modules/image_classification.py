"""Image classification data: a built-in image set, a seeded stratified split, augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.sources import load_images
from paretolab.config import AugmentConfig, RunConfig
from paretolab.errors import UserError


class ImageSet(Dataset):
    """Images with integer labels; ``augment`` (training only) crops, shifts and adds noise."""

    def __init__(self, images: np.ndarray, labels: list[int], augment: AugmentConfig | None = None):
        self.images = torch.from_numpy(images)
        self.labels = torch.tensor(labels, dtype=torch.long)
        self.augment = augment

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        image = self.images[i]
        if self.augment is not None:
            a = self.augment
            image = augment_image(
                image, a.image_shift, a.image_noise, a.image_crop, a.image_crop_scale
            )
        return {"pixels": image, "labels": self.labels[i]}


def augment_image(
    image: torch.Tensor, shift: int, noise: float, crop: float = 0.0, crop_scale: float = 0.8
) -> torch.Tensor:
    """Augment one ``(C, H, W)`` training image; the result has the same shape.

    Args:
        image: pixels in [0, 1].
        shift: shift by up to this many pixels each way (zero fill).
        noise: standard deviation of the Gaussian noise added last.
        crop: chance of a random resized crop first (``random_resized_crop``).
        crop_scale: smallest share of the area that crop keeps.
    """
    if crop and float(torch.rand(())) < crop:
        image = random_resized_crop(image, crop_scale)
    if shift:
        _, h, w = image.shape
        padded = F.pad(image, (shift, shift, shift, shift))
        dy, dx = (int(v) for v in torch.randint(0, 2 * shift + 1, (2,)))
        image = padded[:, dy : dy + h, dx : dx + w]
    if noise:
        image = image + noise * torch.randn_like(image)
    return image


def random_resized_crop(image: torch.Tensor, min_scale: float) -> torch.Tensor:
    """A random box of ``image``'s aspect ratio, covering ``min_scale``–1 of its area, resized
    back to ``(C, H, W)``. Bilinear resizing mixes neighbouring pixels, so values stay in range.
    """
    _, h, w = image.shape
    side = float(torch.empty(()).uniform_(min_scale, 1.0)) ** 0.5
    box_h, box_w = max(1, round(h * side)), max(1, round(w * side))
    top = int(torch.randint(0, h - box_h + 1, ()))
    left = int(torch.randint(0, w - box_w + 1, ()))
    box = image[None, :, top : top + box_h, left : left + box_w]
    return F.interpolate(box, size=(h, w), mode="bilinear", align_corners=False)[0]


class ImageClassificationData(SplitDataModule):
    """Splits a built-in image dataset (stratified, seeded) and serves batches of pixels."""

    def __init__(self, config: RunConfig, run_dir: Path):
        super().__init__(config, run_dir)
        self.class_names: list[str] = []
        self.image_shape: tuple[int, int, int] = (0, 0, 0)
        self.vocab_size = 0

    def setup(self, stage: str | None = None) -> None:
        """Load and split. Idempotent."""
        if self.splits:
            return
        data = self.config.data
        images, labels = load_images(self.config)
        keep = self.limit_indices(labels)
        if keep is not None:
            images, labels = images[keep], [labels[i] for i in keep]
        self.image_shape = tuple(images.shape[1:])
        patch = self.config.model.patch_size
        if self.image_shape[1] % patch or self.image_shape[2] % patch:
            raise UserError(
                f"model.patch_size={patch} must divide the image size "
                f"{self.image_shape[1]}×{self.image_shape[2]} of dataset {data.dataset}"
            )
        self.class_names = sorted(set(labels), key=lambda c: (len(c), c))
        ids = [self.class_names.index(label) for label in labels]
        parts = self.split_indices(labels)
        aug = self.config.augment
        train_aug = aug if (aug.image_shift or aug.image_noise or aug.image_crop) else None
        for name, idx in zip(("train", "val", "test"), parts, strict=True):
            self.splits[name] = ImageSet(
                images[idx], [ids[i] for i in idx], train_aug if name == "train" else None
            )
