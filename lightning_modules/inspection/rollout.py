"""Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers").

Raw attention of a deep layer mixes positions that earlier layers had already mixed, and
ignores the residual connection that carries each token past the attention. Rollout
follows the flow back to the input:

- per layer, average the heads: ``A = mean_h A_h``;
- add the residual path: ``Â = 0.5·A + 0.5·I``, then renormalise each row to sum to 1;
- multiply through the layers: ``R = Â_L · … · Â_2 · Â_1``.

``R[i, j]`` is how much of position ``i``'s final representation flows from input token
``j``. Each row of ``R`` sums to 1; with a causal mask ``R`` stays lower-triangular.
"""

from __future__ import annotations

import numpy as np


def attention_rollout(attention: np.ndarray, residual: float = 0.5) -> np.ndarray:
    """Roll out ``(layers, heads, T, T)`` self-attention probabilities into one ``(T, T)``.

    Args:
        attention: each layer's per-head probabilities, first layer first; rows sum to 1.
        residual: weight of the identity (the residual connection); Abnar & Zuidema use 0.5.

    Returns:
        ``(T, T)`` float32, rows summing to 1: row ``i`` is how much of position ``i``'s last
        layer output comes from each input token.
    """
    attention = np.asarray(attention, dtype=np.float32)
    if attention.ndim != 4 or attention.shape[-1] != attention.shape[-2]:
        raise ValueError(f"attention must be (layers, heads, T, T), not {attention.shape}")
    T = attention.shape[-1]
    identity = np.eye(T, dtype=np.float32)
    rollout = identity
    for layer in attention:
        mixed = (1.0 - residual) * layer.mean(axis=0) + residual * identity  # (T, T)
        mixed /= mixed.sum(axis=-1, keepdims=True)
        rollout = mixed @ rollout  # later layers on the left
    return rollout
