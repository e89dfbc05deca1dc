"""Rotary position embeddings: relative positions, both attention paths, every stack."""

import pytest
import torch

from lightning_modules.models import (
    DecoderLM,
    EncoderClassifier,
    MultiHeadAttention,
    TransformerConfig,
)
from lightning_modules.models.rotary import Rotary
from paretolab.config import ModelConfig


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_rotated_dot_products_depend_only_on_the_offset() -> None:
    rotary = Rotary(d_head=8, max_len=32)
    q, k = torch.randn(8), torch.randn(8)

    def score(i: int, j: int) -> float:
        qs = rotary(q.expand(1, 1, 32, 8))[0, 0, i]
        ks = rotary(k.expand(1, 1, 32, 8))[0, 0, j]
        return float(qs @ ks)

    assert score(5, 2) == pytest.approx(score(20, 17), abs=1e-5)
    assert score(5, 2) != pytest.approx(score(5, 3), abs=1e-3)
    # position 0 is not rotated at all, and rotation keeps the norm
    torch.testing.assert_close(rotary(q.expand(1, 1, 1, 8))[0, 0, 0], q)
    torch.testing.assert_close(
        rotary(q.expand(1, 1, 32, 8)).norm(dim=-1), q.norm().expand(1, 1, 32)
    )


@pytest.mark.parametrize("causal", [False, True])
def test_explicit_path_matches_fast_path_with_rotary(causal: bool) -> None:
    attn = MultiHeadAttention(32, 4, rotary_len=16).eval()
    x = torch.randn(2, 9, 32)
    fast, _ = attn(x, causal=causal)
    explicit, weights = attn(x, causal=causal, return_weights=True)
    torch.testing.assert_close(explicit, fast, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 9, 9)[..., 0])


def test_rotary_decoder_is_causal_and_uses_positions() -> None:
    shape = TransformerConfig(30, 16, 32, 2, 4, 64, dropout=0.0, positional="rope")
    model = DecoderLM(shape).eval()
    assert not any("position" in name for name, _ in model.named_parameters())
    ids = torch.randint(0, 30, (2, 10))
    changed = ids.clone()
    changed[:, 6:] = (changed[:, 6:] + 1) % 30
    torch.testing.assert_close(model(changed)[:, :6], model(ids)[:, :6])
    # swapping two earlier tokens changes the last prediction: order is seen
    # (no position is added to the embeddings, so only the rotation can tell)
    ab, ba = torch.tensor([[1, 2, 5]]), torch.tensor([[2, 1, 5]])
    assert not torch.allclose(model(ab)[0, -1], model(ba)[0, -1])


def test_rotary_classifier_is_order_aware() -> None:
    shape = TransformerConfig(
        vocab_size=20,
        num_classes=2,
        max_len=8,
        d_model=16,
        n_layers=1,
        n_heads=2,
        d_ff=32,
        dropout=0.0,
        positional="rope",
    )
    model = EncoderClassifier(shape).eval()
    ids = torch.tensor([[1, 2, 3, 4]])
    assert not torch.allclose(model(ids), model(ids.flip(1)))


def test_config_refuses_rotary_where_it_cannot_work() -> None:
    with pytest.raises(ValueError, match="2-D grid"):
        ModelConfig(family="vit", positional="rope")
    with pytest.raises(ValueError, match="even head width"):
        ModelConfig(d_model=12, n_heads=4, positional="rope")
