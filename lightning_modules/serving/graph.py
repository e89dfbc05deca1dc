"""A task's forward pass as plain tensors in, logits out: what ONNX exports and serves.

Each task reads a batch dict (``input_ids``, ``pixels``, ``source``…). ``TaskGraph`` takes
the same tensors positionally, in the order ``input_names`` gives, so ``torch.onnx.export``
sees a plain signature and ONNX Runtime takes the same names. Real batches come from the
run's own data module (its val split), prepared exactly as in training.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import default_collate

from lightning_modules.data import build_data_module
from lightning_modules.inspection.loading import LoadedRun
from paretolab.errors import UserError

INPUTS = {
    "classification": ("input_ids", "attention_mask"),
    "regression": ("input_ids", "attention_mask"),
    "image_classification": ("pixels",),
    "language_modeling": ("input_ids",),
    "seq2seq": ("source", "source_mask", "target_in"),
}
"""The tensors each task's forward reads; a masked LM's also needs its labels, so it has no
inference graph of its own."""


def input_names(run: LoadedRun) -> tuple[str, ...]:
    """The tensors the run's forward pass reads.

    Raises:
        UserError: a task without an inference graph (masked language modelling).
    """
    names = INPUTS.get(run.task_name)
    if names is None:
        raise UserError(
            f"a {run.task_name} model predicts only the tokens its labels mask, so it has no "
            "ONNX graph to serve; export --format safetensors"
        )
    return names


class TaskGraph(nn.Module):
    """``task(batch)`` with the batch's tensors as positional arguments."""

    def __init__(self, run: LoadedRun):
        super().__init__()
        self.task = run.task.eval()
        self.names = input_names(run)

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.task(dict(zip(self.names, tensors, strict=True)))


def real_batches(run: LoadedRun, sizes: tuple[int, ...] = (2, 1, 4)) -> list[tuple]:
    """Batches of the run's val examples (the first of ``sizes[0]``, then the next ones),
    padded by the data module's own collate, as tuples in ``input_names`` order."""
    data = build_data_module(run.config, run.work_dir)
    data.fold = run.fold
    data.setup("fit")
    split = data.splits["val"]
    collate = data.collate_fn or default_collate
    names, batches, start = input_names(run), [], 0
    for size in sizes:
        items = [split[i % len(split)] for i in range(start, start + size)]
        batch = collate(items)
        batches.append(tuple(batch[name] for name in names))
        start += size
    return batches


def dynamic_shapes(run: LoadedRun) -> tuple[dict[int, object], ...]:
    """Batch and sequence lengths free (up to the positions the model has), per input."""
    batch = torch.export.Dim("batch", min=1, max=1024)
    longest = run.config.data.max_length
    seq = torch.export.Dim("seq", min=1, max=longest)
    shapes = {
        "input_ids": {0: batch, 1: seq},
        "attention_mask": {0: batch, 1: seq},
        "pixels": {0: batch},
        "source": {0: batch, 1: seq},
        "source_mask": {0: batch, 1: seq},
        "target_in": {0: batch, 1: torch.export.Dim("target", min=1, max=longest)},
    }
    return tuple(shapes[name] for name in input_names(run))
