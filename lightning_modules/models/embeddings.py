"""Token embeddings plus learned or sinusoidal position encodings (RoPE adds none here)."""

from __future__ import annotations

import math

import torch
from torch import nn

ROTARY = "rope"  # `positional` value: attention rotates queries and keys instead


def sinusoidal_table(max_len: int, d_model: int) -> torch.Tensor:
    """The fixed sin/cos position table of Vaswani et al. 2017, ``(max_len, d_model)``."""
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    div = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    table = torch.zeros(max_len, d_model)
    table[:, 0::2] = torch.sin(position * div)
    table[:, 1::2] = torch.cos(position * div[: d_model // 2])
    return table


class Embeddings(nn.Module):
    """``token_embedding(ids) + position(t)``, then dropout.

    Args:
        vocab_size: number of token ids.
        d_model: embedding width.
        max_len: longest sequence the position encoding covers.
        positional: ``learned`` (a trained table), ``sinusoidal`` (fixed), or ``rope``
            (nothing added here: attention rotates queries and keys, see ``rotary.py``).
        dropout: dropout on the sum.
    """

    def __init__(
        self, vocab_size: int, d_model: int, max_len: int, positional: str, dropout: float
    ):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model)
        self.max_len = max_len
        if positional == "learned":
            self.position = nn.Embedding(max_len, d_model)
        elif positional == "sinusoidal":
            self.register_buffer(
                "position_table", sinusoidal_table(max_len, d_model), persistent=False
            )
            self.position = None
        elif positional == ROTARY:
            self.position, self.position_table = None, None
        else:
            raise ValueError(f"unknown positional encoding {positional!r}")
        self.drop = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` token ids → ``(B, T, d_model)`` vectors."""
        T = ids.shape[1]
        if self.max_len < T:
            raise ValueError(
                f"sequence of {T} tokens is longer than the model's max_len={self.max_len}"
            )
        x = self.token(ids)  # (B, T, d_model)
        if self.position is not None:
            x = x + self.position.weight[:T]
        elif self.position_table is not None:
            x = x + self.position_table[:T]
        return self.drop(x)


def init_weights(module: nn.Module) -> None:
    """GPT-2's initialisation: linear and embedding weights from N(0, 0.02), zero biases.

    torch's default N(0, 1) embedding makes a tied output layer's initial logits so large
    that the first steps' loss is far above log(vocab); apply with ``model.apply``.
    """
    if isinstance(module, nn.Linear | nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
