"""Token-level augmentation of training examples: random window, masking, replacement, deletion."""

from __future__ import annotations

import torch

from paretolab.config import AugmentConfig


class TokenNoise:
    """Applies the configured augmentations to one example's content token ids.

    Args:
        cfg: which augmentations, with their probabilities.
        mask_id: id of the [MASK] token.
        vocab_size: replacement tokens are drawn from ``[first_regular_id, vocab_size)``.
        first_regular_id: the first id that is not a special token.
    """

    def __init__(self, cfg: AugmentConfig, mask_id: int, vocab_size: int, first_regular_id: int):
        self.cfg, self.mask_id = cfg, mask_id
        self.vocab_size, self.first_regular_id = vocab_size, first_regular_id

    def window(self, ids: list[int], length: int) -> list[int]:
        """A random ``length``-token window when ``random_crop`` is on, else the beginning."""
        if not self.cfg.random_crop or len(ids) <= length:
            return ids[:length]
        start = int(torch.randint(0, len(ids) - length + 1, ()).item())
        return ids[start : start + length]

    def __call__(self, ids: list[int]) -> list[int]:
        """Delete, mask or replace tokens independently with the configured probabilities."""
        c = self.cfg
        if not (c.mask_prob or c.replace_prob or c.delete_prob) or not ids:
            return ids
        t = torch.tensor(ids, dtype=torch.long)
        if c.delete_prob:
            keep = torch.rand(len(t)) >= c.delete_prob
            t = t[keep] if keep.any() else t[:1]
        r = torch.rand(len(t))
        t = torch.where(r < c.mask_prob, torch.full_like(t, self.mask_id), t)
        replace = (r >= c.mask_prob) & (r < c.mask_prob + c.replace_prob)
        if replace.any():
            random_ids = torch.randint(self.first_regular_id, self.vocab_size, t.shape)
            t = torch.where(replace, random_ids, t)
        return t.tolist()
