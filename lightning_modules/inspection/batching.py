"""What every extraction pass shares: padding a batch, cutting each example's maps back to
its own tokens, the score saliency explains, the fast-path comparison and the fields every
``AttentionMaps`` has."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lightning_modules.data.tokenization import CLS, SEP
from lightning_modules.inspection.inputs import Example
from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.inspection.maps import AttentionMaps
from lightning_modules.inspection.rollout import attention_rollout

SPECIAL = (CLS, SEP)  # what the views can hide; [MASK] and [UNK] stand for real content


def base_maps(
    run: LoadedRun, ex: Example, tokens: list[str], attention: np.ndarray, diff: float
) -> AttentionMaps:
    """The fields every family shares; the prediction is filled in by the caller."""
    return AttentionMaps(
        run=run.describe(),
        family=run.family,
        task=run.task_name,
        source=ex.source,
        tokens=tokens,
        special=np.isin(tokens, SPECIAL),
        attention=attention,
        rollout=attention_rollout(attention),
        prediction="",
        fast_path_max_diff=diff,
        reference=ex.reference or "",
        notes=list(ex.notes),
    )


def pad(
    sequences: Sequence[torch.Tensor], device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, T)`` ids padded with 0 ([PAD]) and the mask, True on real tokens, on ``device``
    (the model's: a run can be opened on a GPU)."""
    longest = max(len(s) for s in sequences)
    ids = torch.zeros(len(sequences), longest, dtype=torch.long)
    mask = torch.zeros(len(sequences), longest, dtype=torch.bool)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)], mask[row, : len(seq)] = seq, True
    return ids.to(device), mask.to(device)


def model_device(model: torch.nn.Module) -> torch.device:
    """Where the model's parameters are (its inputs go there too)."""
    return next(model.parameters()).device


def trim(stacked: torch.Tensor, b: int, n_q: int, n_k: int) -> np.ndarray:
    """Example ``b``'s ``(L, H, n_q, n_k)`` maps, without padded queries and keys.

    Raises:
        RuntimeError: a real query gave weight to a padded key (a masking bug: the cut
            would hide probability mass).
    """
    rows = stacked[:, b, :, :n_q]  # (L, H, n_q, T_k)
    if rows[..., n_k:].abs().sum() > 0:
        raise RuntimeError("padding received attention; the key padding mask is not applied")
    return rows[..., :n_k].float().cpu().numpy()


def score(outputs: torch.Tensor) -> torch.Tensor:
    """What saliency explains: the predicted class's logit (one output: that output)."""
    if outputs.shape[-1] == 1:
        return outputs[:, 0]
    return outputs.gather(1, outputs.argmax(dim=-1, keepdim=True))[:, 0]


def fast_outputs(check: bool, model: torch.nn.Module, *inputs: torch.Tensor) -> torch.Tensor | None:
    """The model's outputs on its own (fast) path, if asked for."""
    return model(*inputs) if check else None


def max_diff(
    explicit: torch.Tensor, fast: torch.Tensor | None, b: int, n: int | None = None
) -> float:
    """Largest absolute difference of example ``b``'s outputs on the two paths (over its first
    ``n`` positions); NaN when the fast path was not run."""
    if fast is None:
        return float("nan")
    explicit, fast = explicit[b], fast[b]
    if n is not None:
        explicit, fast = explicit[:n], fast[:n]
    return float((explicit.float() - fast.float()).abs().max())


def class_prediction(logits: torch.Tensor, names: Sequence[str]) -> str:
    """``business (87%)``: the most probable class and its probability."""
    probs = logits.float().softmax(dim=-1)
    k = int(probs.argmax())
    return f"{names[k]} ({float(probs[k]):.0%})"
