"""The encoder classifier: a bidirectional Transformer stack pooled into one label per sequence."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.stack import TransformerStack


class EncoderClassifier(nn.Module):
    """A Transformer encoder with mean or [CLS] pooling and a linear head of
    ``config.num_classes`` outputs.

    With ``pooling="cls"`` the first token of every sequence must be the [CLS] token
    (the data module puts it there).
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        if config.pooling not in ("mean", "cls"):
            raise ValueError(f"unknown pooling {config.pooling!r}")
        self.pooling = config.pooling
        self.encoder = TransformerStack(config)
        self.head = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(config.d_model, config.num_classes)
        )

    def forward(self, ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T)`` ids → ``(B, num_classes)`` logits."""
        hidden, _ = self.encoder(ids, mask)  # (B, T, d_model)
        return self.head(self.pool(hidden, mask))  # (B, num_classes)

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """``(B, T, d)`` → ``(B, d)``: the [CLS] vector, or the mean over real tokens."""
        if self.pooling == "cls":
            return hidden[:, 0]  # (B, d)
        if mask is None:
            return hidden.mean(dim=1)  # (B, d)
        m = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)  # (B, d)
