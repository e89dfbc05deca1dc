"""Vision Transformer: patch embedding, a [CLS] token, learned or sinusoidal positions,
pre-LN blocks, [CLS] or mean pooling."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.models.blocks import TransformerBlock, run_blocks
from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.embeddings import sinusoidal_table


class PatchEmbedding(nn.Module):
    """Cuts ``(B, C, H, W)`` images into ``p × p`` patches and projects each to ``d_model``."""

    def __init__(self, channels: int, patch_size: int, d_model: int):
        super().__init__()
        self.proj = nn.Conv2d(channels, d_model, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.proj(images).flatten(2).transpose(1, 2)  # (B, n_patches, d_model)


class VisionTransformer(nn.Module):
    """ViT classifier (Dosovitskiy et al. 2021): the [CLS] token's final state feeds the head,
    or (``pooling="mean"``) the mean of the patches' final states.

    ``positional="learned"`` trains one position vector per patch and for [CLS];
    ``"sinusoidal"`` adds the fixed table of ``embeddings.sinusoidal_table`` instead, over the
    same positions ([CLS] first, then the patches row by row).
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = config
        if c.image_shape is None or not c.patch_size:
            raise ValueError("a ViT needs config.image_shape and config.patch_size")
        if c.pooling not in ("mean", "cls"):
            raise ValueError(f"unknown pooling {c.pooling!r}")
        self.pooling = c.pooling
        channels, height, width = c.image_shape
        n_patches = (height // c.patch_size) * (width // c.patch_size)
        self.patches = PatchEmbedding(channels, c.patch_size, c.d_model)
        self.cls = nn.Parameter(torch.zeros(1, 1, c.d_model))
        if c.positional == "learned":
            self.position = nn.Parameter(torch.randn(1, n_patches + 1, c.d_model) * 0.02)
        elif c.positional == "sinusoidal":
            table = sinusoidal_table(n_patches + 1, c.d_model)[None]  # (1, 1 + n_patches, d)
            self.register_buffer("position", table, persistent=False)
        else:
            raise ValueError(f"a ViT takes learned or sinusoidal positions, not {c.positional!r}")
        self.drop = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(c.d_model, c.n_heads, c.d_ff, c.dropout, c.attention_dropout)
            for _ in range(c.n_layers)
        )
        self.ln_final = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.num_classes)

    def encode(
        self, images: torch.Tensor, return_weights: bool = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Hidden states ``(B, 1 + n_patches, d_model)`` ([CLS] first) and, if asked, attention."""
        x = self.patches(images)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.position
        x = self.drop(x)
        x, weights = run_blocks(self.blocks, x, return_weights=return_weights)
        return self.ln_final(x), weights

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` images → ``(B, num_classes)`` logits."""
        hidden, _ = self.encode(images)
        return self.head(self.pool(hidden))

    def pool(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(B, 1 + n_patches, d)`` → ``(B, d)``: the [CLS] state, or the patches' mean."""
        return hidden[:, 0] if self.pooling == "cls" else hidden[:, 1:].mean(dim=1)
