"""Encoder–decoder Transformer (Vaswani et al. 2017, pre-LN) for sequence-to-sequence tasks.

The encoder is a bidirectional ``TransformerStack``; each decoder block adds
cross-attention over the encoder's output between its causal self-attention and its
feed-forward layer. Source and target have their own vocabularies; the output layer is tied
to the target embedding. Decoding (greedy, beam search) lives in ``seq2seq_decoding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from lightning_modules.models.attention import MultiHeadAttention
from lightning_modules.models.blocks import FeedForward
from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.embeddings import ROTARY, Embeddings, init_weights
from lightning_modules.models.stack import TransformerStack


@dataclass
class Seq2SeqAttention:
    """Attention probabilities of one forward pass, one ``(B, heads, T_q, T_k)`` per layer."""

    encoder: list[torch.Tensor] = field(default_factory=list)
    decoder: list[torch.Tensor] = field(default_factory=list)
    cross: list[torch.Tensor] = field(default_factory=list)


class DecoderBlock(nn.Module):
    """Pre-LN: ``x + self_attn(LN(x))`` (causal), ``x + cross_attn(LN(x), memory)``, ``x + ff(LN(x))``."""

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
        self.ln_self = nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, n_heads, attention_dropout, rotary_len)
        self.ln_cross = nn.LayerNorm(d_model)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.ln_ff = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        memory_mask: torch.Tensor | None,
        return_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Returns the new residual stream ``(B, T, d)`` and, if asked, the self- and
        cross-attention probabilities."""
        attended, self_w = self.self_attn(
            self.ln_self(x), causal=True, return_weights=return_weights
        )
        x = x + self.drop(attended)
        attended, cross_w = self.cross_attn(
            self.ln_cross(x),
            key_padding_mask=memory_mask,
            context=memory,
            return_weights=return_weights,
        )
        x = x + self.drop(attended)
        x = x + self.ff(self.ln_ff(x))
        return x, self_w, cross_w


class EncoderDecoder(nn.Module):
    """Transformer encoder + causal decoder with cross-attention + tied output layer.

    ``config.vocab_size`` is the source vocabulary, ``config.out_vocab`` the target's;
    ``config.max_len`` bounds both sequences; ``config.tie_weights`` shares the target
    embedding with the output layer.
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = config
        self.max_target_len = c.max_len
        self.encoder = TransformerStack(c)
        self.target_embed = Embeddings(c.out_vocab, c.d_model, c.max_len, c.positional, c.dropout)
        rotary_len = c.max_len if c.positional == ROTARY else 0
        self.decoder_blocks = nn.ModuleList(
            DecoderBlock(c.d_model, c.n_heads, c.d_ff, c.dropout, c.attention_dropout, rotary_len)
            for _ in range(c.decoder_layers)
        )
        self.ln_final = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.out_vocab, bias=False)
        self.apply(init_weights)
        if c.tie_weights:
            self.head.weight = self.target_embed.token.weight

    def encode(
        self, source: torch.Tensor, source_mask: torch.Tensor, return_weights: bool = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``(B, S)`` source ids → memory ``(B, S, d)`` (and encoder attention if asked)."""
        return self.encoder(source, source_mask, return_weights)

    def decode(
        self,
        target_in: torch.Tensor,
        memory: torch.Tensor,
        source_mask: torch.Tensor,
        attention: Seq2SeqAttention | None = None,
    ) -> torch.Tensor:
        """``(B, T)`` target prefix ids → ``(B, T, target_vocab)`` next-token logits.

        Pass ``attention`` to collect the decoder's self- and cross-attention probabilities
        (the explicit path; otherwise the fast SDPA path runs).
        """
        x = self.target_embed(target_in)  # (B, T, d)
        for block in self.decoder_blocks:
            x, self_w, cross_w = block(x, memory, source_mask, attention is not None)
            if attention is not None:
                attention.decoder.append(self_w)
                attention.cross.append(cross_w)
        return self.head(self.ln_final(x))  # (B, T, target_vocab)

    def forward(
        self,
        source: torch.Tensor,
        source_mask: torch.Tensor,
        target_in: torch.Tensor,
        attention: Seq2SeqAttention | None = None,
    ) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, target_vocab)`` for the target prefix ``target_in``."""
        memory, encoder_weights = self.encode(source, source_mask, attention is not None)
        if attention is not None:
            attention.encoder.extend(encoder_weights)
        return self.decode(target_in, memory, source_mask, attention)
