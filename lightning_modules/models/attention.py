"""Multi-head attention with two paths that compute the same thing.

- The fast path (training) calls ``F.scaled_dot_product_attention``, which never returns
  the attention weights.
- The explicit path materialises ``softmax(QKᵀ/√d_head + mask)`` of shape
  ``(B, heads, T_q, T_k)`` for attention views; tests hold its outputs equal to the fast path's.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lightning_modules.models.rotary import Rotary


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention (or cross-attention when ``context`` is given).

    Args:
        d_model: width of the residual stream.
        n_heads: number of heads; must divide ``d_model``.
        dropout: dropout on the attention probabilities (training only).
        rotary_len: > 0 rotates queries and keys by position (RoPE) for sequences up to
            this length; self-attention only (a cross-attention's keys are another sequence).
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, rotary_len: int = 0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model)
        self.kv_proj = nn.Linear(d_model, 2 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.rotary = Rotary(self.d_head, rotary_len) if rotary_len else None

    def forward(
        self,
        x: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        context: torch.Tensor | None = None,
        causal: bool = False,
        return_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``x`` to ``context`` (default: ``x`` itself).

        Args:
            x: queries' source, ``(B, T_q, d_model)``.
            key_padding_mask: ``(B, T_k)``, True where a key is a real token, False for padding.
            context: keys' and values' source, ``(B, T_k, d_model)``; None for self-attention.
            causal: forbid attending to later positions (decoders).
            return_weights: take the explicit path and also return the probabilities.

        Returns:
            The attended values ``(B, T_q, d_model)`` and, if asked, the probabilities
            ``(B, n_heads, T_q, T_k)`` (else None).
        """
        B, T_q, C = x.shape
        source = x if context is None else context
        T_k = source.shape[1]
        q = (
            self.q_proj(x).view(B, T_q, self.n_heads, self.d_head).transpose(1, 2)
        )  # (B, nh, T_q, hs)
        k, v = self.kv_proj(source).split(C, dim=-1)
        k = k.view(B, T_k, self.n_heads, self.d_head).transpose(1, 2)  # (B, nh, T_k, hs)
        v = v.view(B, T_k, self.n_heads, self.d_head).transpose(1, 2)  # (B, nh, T_k, hs)
        if self.rotary is not None:
            if context is not None:
                raise ValueError("rotary position embeddings apply to self-attention only")
            q, k = self.rotary(q), self.rotary(k)
        p_drop = self.dropout if self.training else 0.0
        if return_weights:
            mask = _allowed_mask(key_padding_mask, T_q, T_k, causal, x.device)
            y, weights = _explicit_attention(q, k, v, mask, p_drop)
        else:
            y = F.scaled_dot_product_attention(
                q,
                k,
                v,
                dropout_p=p_drop,
                **sdpa_mask_args(key_padding_mask, T_q, T_k, causal, x.device),
            )
            weights = None
        y = y.transpose(1, 2).reshape(B, T_q, C)  # (B, T_q, d_model)
        return self.out_proj(y), weights


def sdpa_mask_args(
    key_padding_mask: torch.Tensor | None, T_q: int, T_k: int, causal: bool, device: torch.device
) -> dict:
    """``attn_mask`` and ``is_causal`` for ``scaled_dot_product_attention``.

    Plain causal self-attention (no padding, as many queries as keys) says ``is_causal=True``
    and passes no mask: the flash kernels (GPU, and torch's CPU flash kernel) accept no mask
    tensor, so an explicit lower-triangular mask would drop to the slower memory-efficient or
    math kernels. Everything else gets the explicit boolean mask.
    """
    if causal and key_padding_mask is None and T_q == T_k:
        return {"attn_mask": None, "is_causal": True}
    return {"attn_mask": _allowed_mask(key_padding_mask, T_q, T_k, causal, device)}


def _allowed_mask(
    key_padding_mask: torch.Tensor | None, T_q: int, T_k: int, causal: bool, device: torch.device
) -> torch.Tensor | None:
    """A boolean mask, True where a query may attend to a key; None when all may."""
    mask = None
    if key_padding_mask is not None:
        mask = key_padding_mask[:, None, None, :].bool()  # (B, 1, 1, T_k)
    if causal:
        tri = torch.ones(T_q, T_k, dtype=torch.bool, device=device).tril(diagonal=T_k - T_q)
        mask = tri[None, None] if mask is None else mask & tri
    return mask


def _explicit_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, p_drop: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(QKᵀ/√d + mask)·V, returning the probabilities too."""
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (B, nh, T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)  # (B, nh, T_q, T_k)
    dropped = F.dropout(weights, p=p_drop) if p_drop > 0 else weights
    return dropped @ v, weights  # (B, nh, T_q, hs)
