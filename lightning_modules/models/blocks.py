"""The pre-LN Transformer block and its feed-forward layer."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.models.attention import MultiHeadAttention


class FeedForward(nn.Module):
    """Linear → GELU → Linear, with dropout on the output."""

    def __init__(self, d_model: int, d_ff: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model), nn.Dropout(dropout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TransformerBlock(nn.Module):
    """Pre-LN block: ``x + attn(LN(x))`` then ``x + ff(LN(x))``."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float,
        attention_dropout: float,
        rotary_len: int = 0,
    ):
        super().__init__()
        self.ln_attn = nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_heads, attention_dropout, rotary_len)
        self.drop = nn.Dropout(dropout)
        self.ln_ff = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff, dropout)

    def forward(
        self,
        x: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        causal: bool = False,
        return_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Returns the new residual stream ``(B, T, d_model)`` and, if asked, attention weights."""
        attended, weights = self.attn(
            self.ln_attn(x),
            key_padding_mask=key_padding_mask,
            causal=causal,
            return_weights=return_weights,
        )
        x = x + self.drop(attended)
        x = x + self.ff(self.ln_ff(x))
        return x, weights


def run_blocks(
    blocks: nn.ModuleList,
    x: torch.Tensor,
    key_padding_mask: torch.Tensor | None = None,
    causal: bool = False,
    return_weights: bool = False,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Pass ``x`` through every block; return the result and, if asked, each block's
    attention probabilities (else an empty list)."""
    weights = []
    for block in blocks:
        x, w = block(
            x, key_padding_mask=key_padding_mask, causal=causal, return_weights=return_weights
        )
        if w is not None:
            weights.append(w)
    return x, weights
