"""The Transformer stack every text model shares: embeddings, pre-LN blocks, final LayerNorm."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.models.blocks import TransformerBlock, run_blocks
from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.embeddings import ROTARY, Embeddings


class TransformerStack(nn.Module):
    """Embeddings → N pre-LN blocks → final LayerNorm.

    Bidirectional attention by default (an encoder); ``causal=True`` makes it the stack of
    a decoder-only language model (each position sees only itself and earlier ones).
    """

    def __init__(self, config: TransformerConfig, causal: bool = False):
        super().__init__()
        c = config
        self.causal = causal
        self.embed = Embeddings(c.vocab_size, c.d_model, c.max_len, c.positional, c.dropout)
        rotary_len = c.max_len if c.positional == ROTARY else 0
        self.blocks = nn.ModuleList(
            TransformerBlock(
                c.d_model, c.n_heads, c.d_ff, c.dropout, c.attention_dropout, rotary_len
            )
            for _ in range(c.n_layers)
        )
        self.ln_final = nn.LayerNorm(c.d_model)

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor | None = None, return_weights: bool = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Run ``(B, T)`` ids through the stack (``mask`` True on real tokens).

        Returns:
            Hidden states ``(B, T, d_model)`` and, if asked, one ``(B, heads, T, T)`` tensor
            of attention probabilities per layer (else an empty list).
        """
        x = self.embed(ids)  # (B, T, d_model)
        x, weights = run_blocks(self.blocks, x, mask, self.causal, return_weights)
        return self.ln_final(x), weights  # (B, T, d_model)
