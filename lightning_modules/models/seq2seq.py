"""Encoder–decoder Transformer (Vaswani et al. 2017, pre-LN) for sequence-to-sequence tasks.

The encoder is the bidirectional ``TransformerEncoder``; each decoder block adds
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
from lightning_modules.models.embeddings import ROTARY, Embeddings, init_weights
from lightning_modules.models.encoder import TransformerEncoder


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

    Args:
        source_vocab, target_vocab: vocabulary sizes of the two tokenizers.
        max_source_len, max_target_len: longest sequences the position encodings cover.
        n_layers, n_decoder_layers: encoder and decoder blocks.
        tie_weights: share the target embedding with the output layer.
    """

    def __init__(
        self,
        source_vocab: int,
        target_vocab: int,
        max_source_len: int,
        max_target_len: int,
        d_model: int,
        n_layers: int,
        n_decoder_layers: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        positional: str = "learned",
        tie_weights: bool = True,
    ):
        super().__init__()
        self.max_target_len = max_target_len
        self.encoder = TransformerEncoder(
            source_vocab,
            max_source_len,
            d_model,
            n_layers,
            n_heads,
            d_ff,
            dropout,
            attention_dropout,
            positional,
        )
        self.target_embed = Embeddings(target_vocab, d_model, max_target_len, positional, dropout)
        rotary_len = max_target_len if positional == ROTARY else 0
        self.decoder_blocks = nn.ModuleList(
            DecoderBlock(d_model, n_heads, d_ff, dropout, attention_dropout, rotary_len)
            for _ in range(n_decoder_layers)
        )
        self.ln_final = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, target_vocab, bias=False)
        self.apply(init_weights)
        if tie_weights:
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
        return self.head(self.ln_final(x))

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
