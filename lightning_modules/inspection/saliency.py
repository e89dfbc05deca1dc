"""Gradient saliency: input × gradient on the embeddings (Shrikumar et al. 2016; Denil et al.).

For a classifier's score ``f`` (the predicted class's logit, or a regression output) and
the embedding output ``x_t`` of each token (what enters the first block: token plus
position), the contribution of token ``t`` is ``x_t ⊙ ∂f/∂x_t``, a ``d_model`` vector.
Two per-token summaries:

- ``l2``: its Euclidean norm — how strongly the token moves the score, either way;
- ``signed``: the sum of its entries — the first-order change of ``f`` when the token's
  embedding is scaled towards zero: ``d f(α·x_t)/dα`` at ``α = 1``. Positive supports the
  prediction, negative speaks against it.

Unlike attention, this looks at the whole network (feed-forward layers and head
included), but only locally: a gradient is a slope, not a counterfactual.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def captured_output(module: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Within the block, ``captured["output"]`` is ``module``'s latest forward output
    (still part of the autograd graph when gradients are on)."""
    captured: dict[str, torch.Tensor] = {}

    def keep(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        captured["output"] = output

    handle = module.register_forward_hook(keep)
    try:
        yield captured
    finally:
        handle.remove()


def input_x_gradient(
    embedded: torch.Tensor, score: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token input × gradient of ``score`` with respect to ``embedded``.

    Args:
        embedded: ``(B, T, d)`` embedding outputs, part of the graph that computed ``score``.
        score: ``(B,)`` one score per example (examples never mix, so their sum's gradient
            is each one's own).

    Returns:
        ``l2`` and ``signed`` saliency, each ``(B, T)`` (see the module docstring). The
        model's parameters get no ``.grad``.
    """
    (grad,) = torch.autograd.grad(score.sum(), embedded)
    contribution = (embedded * grad).detach()  # (B, T, d)
    return contribution.norm(dim=-1), contribution.sum(dim=-1)
