"""Transformer encoder, and the classifier that pools it into one label per sequence."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.models.blocks import TransformerBlock, run_blocks
from lightning_modules.models.embeddings import ROTARY, Embeddings


class TransformerEncoder(nn.Module):
    """Embeddings → N pre-LN blocks → final LayerNorm.

    Bidirectional attention by default; ``causal=True`` makes it the stack of a
    decoder-only language model (each position sees only itself and earlier ones).
    """

    def __init__(
        self,
        vocab_size: int,
        max_len: int,
        d_model: int,
        n_layers: int,
        n_heads: int,
        d_ff: int,
        dropout: float,
        attention_dropout: float,
        positional: str,
        causal: bool = False,
    ):
        super().__init__()
        self.causal = causal
        self.embed = Embeddings(vocab_size, d_model, max_len, positional, dropout)
        rotary_len = max_len if positional == ROTARY else 0
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, d_ff, dropout, attention_dropout, rotary_len)
            for _ in range(n_layers)
        )
        self.ln_final = nn.LayerNorm(d_model)

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor | None = None, return_weights: bool = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Encode ``(B, T)`` ids (``mask`` True on real tokens).

        Returns:
            Hidden states ``(B, T, d_model)`` and, if asked, one ``(B, heads, T, T)`` tensor
            of attention probabilities per layer (else an empty list).
        """
        x = self.embed(ids)  # (B, T, d_model)
        x, weights = run_blocks(self.blocks, x, mask, self.causal, return_weights)
        return self.ln_final(x), weights


class EncoderClassifier(nn.Module):
    """A Transformer encoder with mean or [CLS] pooling and a linear head.

    With ``pooling="cls"`` the first token of every sequence must be the [CLS] token
    (the data module puts it there).
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        max_len: int,
        d_model: int,
        n_layers: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        positional: str = "learned",
        pooling: str = "mean",
    ):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"unknown pooling {pooling!r}")
        self.pooling = pooling
        self.encoder = TransformerEncoder(
            vocab_size,
            max_len,
            d_model,
            n_layers,
            n_heads,
            d_ff,
            dropout,
            attention_dropout,
            positional,
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(d_model, num_classes))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T)`` ids → ``(B, num_classes)`` logits."""
        hidden, _ = self.encoder(ids, mask)
        return self.head(self.pool(hidden, mask))

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """``(B, T, d)`` → ``(B, d)``: the [CLS] vector, or the mean over real tokens."""
        if self.pooling == "cls":
            return hidden[:, 0]
        if mask is None:
            return hidden.mean(dim=1)
        m = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
