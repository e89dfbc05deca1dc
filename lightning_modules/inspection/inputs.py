"""What to look at: a val/test sample of the run's data, typed text, or an uploaded image.

Each becomes an ``Example``: the token ids exactly as the run's data module or tokenizer
makes them (a [CLS] first where the model pools it, truncated to ``data.max_length``), or
the pixels at the run's image shape.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import default_collate

from lightning_modules.data import build_data_module
from lightning_modules.data.masking import IGNORE_INDEX
from lightning_modules.data.tokenization import CLS, encode_texts
from lightning_modules.inspection.loading import LoadedRun
from paretolab.errors import UserError

SPLITS = ("val", "test")


@dataclass
class Example:
    """One input to inspect."""

    source: str
    """Where it came from: ``val sample 3``, ``typed text``, ``uploaded image``."""
    ids: torch.Tensor | None = None
    """``(T,)`` token ids (seq2seq: the source side); None for images."""
    pixels: torch.Tensor | None = None
    """``(C, H, W)`` in [0, 1], images only."""
    reference: str | None = None
    """What the data says the answer is (class, value, target text…); None for typed input."""
    notes: list[str] = field(default_factory=list)
    """What was changed on the way in (truncation, resizing)."""


def text_example(run: LoadedRun, text: str) -> Example:
    """Typed text, tokenized as the run's data module tokenizes its examples.

    Raises:
        UserError: the run reads images, or the text has no tokens.
    """
    if run.tokenizer is None:
        raise UserError(f"run {run.run_id} reads images, not text; give an image")
    if not text.strip():
        raise UserError("the text is empty; type something to look at")
    config = run.config
    cls_id = run.tokenizer.token_to_id(CLS) if _adds_cls(run) else None
    budget = config.data.max_length - (cls_id is not None)
    full = run.tokenizer.encode(text).ids
    ids = encode_texts(run.tokenizer, [text], budget)[0]
    notes = []
    if len(full) > budget:
        notes.append(f"truncated from {len(full)} to {budget} tokens (data.max_length)")
    if cls_id is not None:
        ids = [cls_id, *ids]
    return Example("typed text", ids=torch.tensor(ids, dtype=torch.long), notes=notes)


def _adds_cls(run: LoadedRun) -> bool:
    """Classifiers and masked LMs with ``pooling: cls`` see [CLS] first (as in training).
    A pretrained run's tokenizer adds its own special tokens ([CLS] … [SEP]) itself."""
    if run.family == "pretrained":
        return False
    return run.task_name in ("classification", "regression", "masked_lm") and (
        run.config.model.pooling == "cls"
    )


def image_example(run: LoadedRun, image: bytes | str | Path, invert: bool = False) -> Example:
    """An image file (PNG, JPEG…), converted to the run's channels and resized to its size.

    Args:
        invert: flip dark and light (the digit sets are light strokes on black).

    Raises:
        UserError: the run reads text, or the file is not an image.
    """
    from PIL import Image, UnidentifiedImageError

    shape = run.task.hparams.get("image_shape")
    if not run.reads_images or not shape:
        raise UserError(f"run {run.run_id} reads text, not images; give text or a sample")
    channels, height, width = shape
    try:
        with Image.open(io.BytesIO(image) if isinstance(image, bytes) else image) as img:
            original = img.size
            img = img.convert("L" if channels == 1 else "RGB")
            img = img.resize((width, height), Image.Resampling.BILINEAR)
            pixels = np.asarray(img, dtype=np.float32).reshape(height, width, channels) / 255.0
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UserError(f"not a readable image ({exc}); give a PNG or JPEG file") from None
    if invert:
        pixels = 1.0 - pixels
    notes = []
    if original != (width, height):
        notes.append(f"resized from {original[0]}×{original[1]} to {width}×{height} pixels")
    tensor = torch.from_numpy(pixels.transpose(2, 0, 1).copy())
    return Example("uploaded image", pixels=tensor, notes=notes)


class DatasetSamples:
    """The run's val and test examples, prepared as in training (the run's saved tokenizer,
    the same split seed; val/test masks of a masked LM are fixed by seed)."""

    def __init__(self, run: LoadedRun):
        self.run = run
        self.data = build_data_module(run.config, run.work_dir)
        self.data.fold = run.fold
        self.data.setup("fit")

    def count(self, split: str) -> int:
        """How many examples the split holds."""
        return len(self.data.splits[_checked_split(split)])

    def example(self, split: str, index: int) -> Example:
        """Example ``index`` of ``split``.

        Raises:
            UserError: no such split or index.
        """
        n = self.count(split)
        if not 0 <= index < n:
            raise UserError(f"the {split} split has samples 0–{n - 1}; {index} does not exist")
        item = self.data.splits[split][index]
        collate = self.data.collate_fn or default_collate
        batch = collate([item])
        ex = self._example(batch)
        ex.source = f"{split} sample {index}"
        return ex

    def _example(self, batch: dict[str, torch.Tensor]) -> Example:
        run, task = self.run, self.run.task_name
        if task == "image_classification":
            label = run.task.hparams.class_names[int(batch["labels"][0])]
            return Example("", pixels=batch["pixels"][0].float(), reference=label)
        if task == "seq2seq":
            labels = batch["labels"][0]
            target = run.target_tokenizer.decode(
                labels[labels != 0].tolist(), skip_special_tokens=True
            )
            return Example("", ids=batch["source"][0], reference=target)
        ids = batch["input_ids"][0]  # a batch of one: no padding
        if task == "classification":
            reference = run.task.hparams.class_names[int(batch["labels"][0])]
        elif task == "regression":
            reference = f"{float(batch['labels'][0]):g}"
        elif task == "masked_lm":
            labels = batch["labels"][0][: len(ids)]
            masked = (labels != IGNORE_INDEX).nonzero().flatten().tolist()
            reference = ", ".join(
                f"{i}: {run.tokenizer.id_to_token(int(labels[i]))}" for i in masked
            )
        else:  # language modelling: the token that follows the window
            reference = run.tokenizer.id_to_token(int(batch["labels"][0][-1]))
        return Example("", ids=ids, reference=reference)


def _checked_split(split: str) -> str:
    if split not in SPLITS:
        raise UserError(f"split must be val or test, not {split!r}")
    return split
