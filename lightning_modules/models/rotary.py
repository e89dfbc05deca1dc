"""Rotary position embeddings (RoPE; Su et al. 2021), GPT-NeoX's half-split layout.

Instead of adding a position vector to the token embedding, each head's queries and keys are
rotated by an angle proportional to their position, so ``q·k`` depends on the *relative*
offset of the two tokens. Values are not rotated.
"""

from __future__ import annotations

import torch
from torch import nn


class Rotary(nn.Module):
    """Rotates ``(B, heads, T, d_head)`` queries/keys by their positions ``0 … T-1``.

    Args:
        d_head: per-head width (even).
        max_len: longest sequence; the cos/sin tables are precomputed up to it.
        base: the wavelength base of Su et al. (10,000).
    """

    def __init__(self, d_head: int, max_len: int, base: float = 10000.0):
        super().__init__()
        if d_head % 2:
            raise ValueError(f"rotary position embeddings need an even head width, got {d_head}")
        inv_freq = base ** (-torch.arange(0, d_head, 2, dtype=torch.float32) / d_head)
        angles = torch.arange(max_len, dtype=torch.float32)[:, None] * inv_freq  # (T, d/2)
        angles = torch.cat([angles, angles], dim=-1)  # (T, d_head)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` rotated position by position (same shape)."""
        T = x.shape[-2]
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * self.cos[:T] + rotated * self.sin[:T]
