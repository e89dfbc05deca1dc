"""Greedy and beam-search decoding for ``EncoderDecoder``.

Both encode the source once and re-run the decoder on the growing prefix each step (no
key/value cache: targets here are tens of tokens, where the cache saves little). Outputs are
``(B, L)`` ids without the start token; positions after a sequence's end token are 0 (pad).
"""

from __future__ import annotations

import torch

from lightning_modules.models.seq2seq import EncoderDecoder


@torch.no_grad()
def greedy_decode(
    model: EncoderDecoder,
    source: torch.Tensor,
    source_mask: torch.Tensor,
    bos_id: int,
    eos_id: int,
    max_len: int,
) -> torch.Tensor:
    """The most likely next token at every step, until each sequence has emitted ``eos_id``."""
    memory, _ = model.encode(source, source_mask)
    B = source.shape[0]
    seqs = torch.full((B, 1), bos_id, dtype=torch.long, device=source.device)
    done = torch.zeros(B, dtype=torch.bool, device=source.device)
    for _ in range(min(max_len, model.max_target_len)):
        next_id = model.decode(seqs, memory, source_mask)[:, -1].argmax(dim=-1)  # (B,)
        next_id = next_id.masked_fill(done, 0)
        seqs = torch.cat([seqs, next_id[:, None]], dim=1)
        done |= next_id == eos_id
        if done.all():
            break
    return seqs[:, 1:]


@torch.no_grad()
def beam_search(
    model: EncoderDecoder,
    source: torch.Tensor,
    source_mask: torch.Tensor,
    bos_id: int,
    eos_id: int,
    max_len: int,
    num_beams: int,
    length_penalty: float = 1.0,
) -> torch.Tensor:
    """Keep the ``num_beams`` most likely prefixes per example; return the best finished one.

    Beams grow by summed log-probability; a beam that has emitted ``eos_id`` carries on
    unchanged (only pad, at no cost). The winner per example maximises
    ``log p / length ** length_penalty`` (length counts the end token), so a penalty of 0
    picks the raw most likely sequence and 1 compares per-token averages.
    """
    if num_beams == 1:
        return greedy_decode(model, source, source_mask, bos_id, eos_id, max_len)
    B, K, device = source.shape[0], num_beams, source.device
    memory, _ = model.encode(source, source_mask)
    memory = memory.repeat_interleave(K, dim=0)  # (B*K, S, d)
    mask = source_mask.repeat_interleave(K, dim=0)  # (B*K, S)
    seqs = torch.full((B * K, 1), bos_id, dtype=torch.long, device=device)
    scores = torch.zeros(B, K, device=device)
    scores[:, 1:] = float("-inf")  # all beams start identical: expand only the first
    done = torch.zeros(B * K, dtype=torch.bool, device=device)
    lengths = torch.zeros(B * K, device=device)
    for _ in range(min(max_len, model.max_target_len)):
        logp = model.decode(seqs, memory, mask)[:, -1].float().log_softmax(dim=-1)  # (B*K, V)
        V = logp.shape[-1]
        logp[done] = float("-inf")
        logp[done, 0] = 0.0  # a finished beam only extends with pad, keeping its score
        candidates = (scores.view(B * K, 1) + logp).view(B, K * V)
        scores, flat = candidates.topk(K, dim=-1)  # (B, K)
        parent = (flat // V + torch.arange(B, device=device)[:, None] * K).view(-1)  # (B*K,)
        token = (flat % V).view(-1)
        seqs = torch.cat([seqs[parent], token[:, None]], dim=1)
        lengths = lengths[parent] + (~done[parent]).float()
        done = done[parent] | (token == eos_id)
        if done.all():
            break
    ranked = scores / lengths.view(B, K).clamp(min=1.0) ** length_penalty
    best = ranked.argmax(dim=-1) + torch.arange(B, device=device) * K  # (B,)
    return seqs[best, 1:]
