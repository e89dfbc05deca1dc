"""BERT's masking rule for masked-token pretraining, and the batches it produces.

Of the tokens that may be masked (never [PAD], [CLS], [SEP], [UNK] or [MASK]), each is chosen
with probability ``p``; a chosen token becomes [MASK] 80% of the time, a random regular token
10% of the time and stays itself 10% of the time (Devlin et al. 2019, §3.1). The model must
restore every chosen token; the others carry the label ``IGNORE_INDEX``.
"""

from __future__ import annotations

import torch

IGNORE_INDEX = -100  # F.cross_entropy's default ignore_index: positions without a target


class BertMasking:
    """Draws masks for one sequence of token ids.

    Args:
        probability: share of maskable tokens chosen (``data.mlm_probability``).
        mask_id: id of the [MASK] token.
        vocab_size: random replacements are drawn from ``[first_regular_id, vocab_size)``.
        first_regular_id: the first id that is not a special token (specials come first).
    """

    def __init__(self, probability: float, mask_id: int, vocab_size: int, first_regular_id: int):
        self.probability, self.mask_id = probability, mask_id
        self.vocab_size, self.first_regular_id = vocab_size, first_regular_id

    def __call__(
        self, ids: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask ``(T,)`` token ids; return the model's inputs and the labels (both ``(T,)``).

        With a ``generator`` the masks depend only on its seed (fixed validation masks);
        without, they come from torch's global generator (fresh masks every epoch).
        """
        maskable = ids >= self.first_regular_id
        chosen = (torch.rand(ids.shape, generator=generator) < self.probability) & maskable
        if not chosen.any() and maskable.any():
            # A sequence without a target teaches nothing; short windows get one anyway.
            candidates = maskable.nonzero().flatten()
            pick = torch.randint(len(candidates), (1,), generator=generator)
            chosen[candidates[pick]] = True
        labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE_INDEX))
        action = torch.rand(ids.shape, generator=generator)
        inputs = torch.where(chosen & (action < 0.8), torch.full_like(ids, self.mask_id), ids)
        randomised = chosen & (action >= 0.8) & (action < 0.9)
        random_ids = torch.randint(
            self.first_regular_id, self.vocab_size, ids.shape, generator=generator
        )
        inputs = torch.where(randomised, random_ids, inputs)
        return inputs, labels


def pad_masked_batch(items: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Pad inputs with [PAD] (id 0) and labels with ``IGNORE_INDEX`` to the longest sequence."""
    longest = max(len(inputs) for inputs, _ in items)
    ids = torch.zeros(len(items), longest, dtype=torch.long)
    labels = torch.full((len(items), longest), IGNORE_INDEX, dtype=torch.long)
    for row, (inputs, targets) in enumerate(items):
        ids[row, : len(inputs)] = inputs
        labels[row, : len(targets)] = targets
    return {"input_ids": ids, "attention_mask": ids != 0, "labels": labels}
