"""FLOP formulas against small cases worked by hand."""

import pytest

from paretolab.costing.flops import (
    PF_DAY,
    flops_6nd,
    forward_flops,
    inference_flops_per_token,
    palm_flops_per_token,
    pf_days,
    training_flops,
)
from paretolab.costing.params import non_embedding_params
from paretolab.costing.shapes import BatchShape, ModelShape

# L=1, d=4, H=2, d_ff=8, V=10, one sequence of T=3.
TINY_LM = ModelShape(
    "decoder_lm", n_layers=1, d_model=4, n_heads=2, d_ff=8, vocab_size=10, max_len=3
)


def test_decoder_forward_by_hand() -> None:
    parts = forward_flops(TINY_LM, BatchShape(1, 3))
    assert parts == {
        "embeddings": 3 * 4,  # position add T·d (the lookup multiplies nothing)
        "qkv": 2 * 3 * 4 * 12,  # 2·T·d·3d
        "qk_scores": 2 * 3 * 3 * 4,  # 2·T²·d
        "softmax": 3 * 2 * 3 * 3,  # 3·H·T²
        "attend_values": 2 * 3 * 3 * 4,
        "output_projection": 2 * 3 * 4 * 4,
        "feed_forward": 2 * 3 * 2 * 4 * 8,  # 2·T·2·d·d_ff
        "logits": 2 * 3 * 4 * 10,  # 2·T·d·V
    }
    assert sum(parts.values()) == 1218
    assert training_flops(TINY_LM, BatchShape(1, 3)) == 3 * 1218  # backward = 2 × forward
    assert training_flops(TINY_LM, BatchShape(5, 3)) == 5 * 3 * 1218


def test_encoder_decoder_adds_cross_attention_by_hand() -> None:
    shape = ModelShape(
        "encoder_decoder", 1, 4, 2, 8, vocab_size=10, max_len=8, n_decoder_layers=1, target_vocab=6
    )
    parts = forward_flops(shape, BatchShape(1, seq_len=2, target_len=3))
    assert (
        parts["cross_qkv"] == 2 * 3 * 4 * 4 + 2 * 2 * 4 * 8
    )  # Q from 3 targets, K/V from 2 sources
    assert parts["cross_qk_scores"] == 2 * 3 * 2 * 4
    assert parts["cross_softmax"] == 3 * 2 * 3 * 2
    assert parts["qkv"] == 2 * 2 * 4 * 12 + 2 * 3 * 4 * 12  # encoder over 2, decoder over 3
    assert parts["logits"] == 2 * 3 * 4 * 6  # target positions × target vocabulary
    assert parts["embeddings"] == (2 + 3) * 4


def test_heads_predict_what_their_task_needs() -> None:
    classifier = ModelShape("encoder_classifier", 1, 4, 2, 8, 10, 3, head="classes", num_classes=5)
    assert forward_flops(classifier, BatchShape(2, 3))["logits"] == 2 * (2 * 4 * 5)  # pooled
    mlm = ModelShape("encoder_classifier", 1, 4, 2, 8, 10, 3, head="mlm", mlm_probability=0.5)
    per_token = 2 * 4 * 4 + 2 * 4 * 10  # dense d² + vocabulary projection
    assert forward_flops(mlm, BatchShape(2, 3))["logits"] == 0.5 * 6 * per_token
    assert forward_flops(mlm, BatchShape(2, 3, predicted=1))["logits"] == per_token


def test_vit_counts_the_patch_projection_by_hand() -> None:
    vit = ModelShape(
        "vit", 1, 4, 2, 8, head="classes", num_classes=10, image_shape=(1, 4, 4), patch_size=2
    )
    assert vit.image_tokens == 5  # 4 patches + [CLS]
    parts = forward_flops(vit, BatchShape(1, vit.image_tokens))
    assert parts["embeddings"] == 2 * 4 * (1 * 2 * 2) * 4  # 4 patches of 1·2·2 pixels → d
    assert parts["qk_scores"] == 2 * 5 * 5 * 4


def test_six_n_d_and_pf_days() -> None:
    assert flops_6nd(1e6, 2e6) == 1.2e13
    assert PF_DAY == 8.64e19 and pf_days(8.64e19) == 1.0
    # GPT-3 175B (Table D.1): 174.6B params × 300B tokens = 3.14e23 FLOPs = 3,640 PF-days.
    assert pf_days(flops_6nd(174.6e9, 300e9)) == pytest.approx(3640, rel=0.01)


def test_inference_per_token_is_two_n_plus_attention() -> None:
    shape = ModelShape("decoder_lm", 4, 64, 4, 256, vocab_size=1000, max_len=128)
    n = non_embedding_params(shape)
    per_token = inference_flops_per_token(shape)
    attention = 4 * shape.n_layers * 128 * 64  # QKᵀ and softmax·V over the context
    expected = 2 * 4 * (12 * 64 * 64) + 2 * 64 * 1000 + attention  # matmul weights only
    assert per_token == pytest.approx(expected, rel=0.02)
    assert 2 * n < per_token  # ≈ 2N plus the attention and logits terms
    assert palm_flops_per_token(shape, 128) == 6 * n + 12 * 4 * 64 * 128
