"""Masked-token model for encoder pretraining: the classifier's encoder plus BERT's MLM head.

The encoder sits under the attribute ``encoder``, as in ``EncoderClassifier``, so a
checkpoint of this model loads into a classifier key for key (``model.encoder.*``); the
MLM head is called ``mlm_head`` so it never collides with a classifier's ``head``.
"""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.stack import TransformerStack


class MaskedLMHead(nn.Module):
    """Dense → GELU → LayerNorm → vocabulary logits (BERT's prediction head).

    Args:
        d_model: width of the encoder's hidden states.
        vocab_size: number of token ids.
        tied_embedding: share this ``(vocab, d_model)`` token embedding with the output
            layer (its bias stays separate); None learns a separate output matrix.
    """

    def __init__(self, d_model: int, vocab_size: int, tied_embedding: nn.Parameter | None):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(d_model)
        self.decoder = nn.Linear(d_model, vocab_size)
        if tied_embedding is not None:
            self.decoder.weight = tied_embedding
            # The tied rows are N(0, 1), so unit-scale features would give logits of scale
            # √d_model and a first loss near 20 nats; starting the norm's gain at 1/√d_model
            # gives unit-scale logits (on BBC News: the loss of step 150 by step 50).
            nn.init.constant_(self.norm.weight, d_model**-0.5)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(..., d_model)`` hidden states → ``(..., vocab)`` logits."""
        return self.decoder(self.norm(self.act(self.dense(hidden))))


class MaskedLM(nn.Module):
    """A bidirectional Transformer encoder that predicts masked tokens."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.encoder = TransformerStack(config)
        tied = self.encoder.embed.token.weight if config.tie_weights else None
        self.mlm_head = MaskedLMHead(config.d_model, config.vocab_size, tied)

    def forward(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits for ``(B, T)`` ids (``mask`` True on real tokens).

        Returns:
            ``(B, T, vocab)`` logits, or with a ``targets`` boolean ``(B, T)`` selection only
            the selected positions' ``(N, vocab)`` logits: the vocabulary projection is the
            costliest layer, and only the ~15% masked positions need it.
        """
        hidden, _ = self.encoder(ids, mask)  # (B, T, d_model)
        if targets is not None:
            hidden = hidden[targets]  # (N, d_model)
        return self.mlm_head(hidden)  # (B, T, vocab) or (N, vocab)
