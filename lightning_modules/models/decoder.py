"""Decoder-only causal language model (GPT-style) with sampling."""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.embeddings import init_weights
from lightning_modules.models.stack import TransformerStack


class DecoderLM(nn.Module):
    """Causal Transformer stack + a next-token head (tied to the token embedding by default)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.max_len = config.max_len
        self.stack = TransformerStack(config, causal=True)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.apply(init_weights)
        if config.tie_weights:
            self.head.weight = self.stack.embed.token.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` ids → ``(B, T, vocab)`` next-token logits."""
        hidden, _ = self.stack(ids)  # (B, T, d_model)
        return self.head(hidden)  # (B, T, vocab)

    @torch.no_grad()
    def generate(
        self,
        ids: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Continue ``(B, T)`` ids by ``max_new_tokens``: greedy at temperature 0, else sampled
        from the softmax at ``temperature`` among the ``top_k`` most likely tokens."""
        for _ in range(max_new_tokens):
            context = ids[:, -self.max_len :]
            logits = self(context)[:, -1, :]  # (B, vocab)
            if temperature <= 0:
                next_id = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None and top_k < logits.shape[-1]:
                    kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                next_id = torch.multinomial(logits.softmax(dim=-1), 1, generator=generator)
            ids = torch.cat([ids, next_id], dim=1)
        return ids
