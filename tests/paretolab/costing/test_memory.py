"""Training and serving memory against hand-worked figures (Transformer Math 101)."""

import pytest

from paretolab.costing.memory import activation_bytes, serving_memory, training_memory
from paretolab.costing.shapes import ModelShape

SHAPE = ModelShape(
    "decoder_lm", n_layers=3, d_model=8, n_heads=2, d_ff=32, vocab_size=50, max_len=10
)


def test_mixed_precision_adamw_is_sixteen_bytes_per_parameter() -> None:
    parts = training_memory(SHAPE, batch=2, params=1e9, precision="bf16-mixed", optimizer="adamw")
    assert (parts.weights_gb, parts.gradients_gb, parts.optimizer_gb) == (2.0, 2.0, 12.0)


def test_fp32_sgd_with_momentum_is_twelve_bytes_per_parameter() -> None:
    parts = training_memory(SHAPE, batch=2, params=1e9, precision="32", optimizer="sgd")
    assert parts.weights_gb + parts.gradients_gb + parts.optimizer_gb == 12.0


def test_activations_by_recomputation_by_hand() -> None:
    base = 10 * 2 * 8 * 3  # T·b·d·L
    assert activation_bytes(SHAPE, 2, 10, "none") == base * (34 + 5 * 2 * 10 / 8)
    assert activation_bytes(SHAPE, 2, 10, "selective") == base * 34
    assert activation_bytes(SHAPE, 2, 10, "full") == base * 2
    assert activation_bytes(SHAPE, 2, 10, "full", mixed=False) == base * 4
    with pytest.raises(ValueError, match="recompute must be one of"):
        activation_bytes(SHAPE, 2, 10, "some")


def test_serving_memory_is_weights_plus_kv_cache() -> None:
    parts = serving_memory(SHAPE, batch=4, context=10, dtype="bf16", params=1e9)
    assert parts.weights_gb == pytest.approx(1.2 * 2)
    assert parts.kv_cache_gb == pytest.approx(2 * 3 * 10 * 8 * 2 * 4 / 1e9)


def test_every_configurable_optimizer_has_a_state_size() -> None:
    from typing import get_args

    from paretolab.config import OptimConfig
    from paretolab.costing.memory import optimizer_state_bytes

    names = get_args(OptimConfig.model_fields["optimizer"].annotation)
    sizes = {name: optimizer_state_bytes(name) for name in names}
    assert sizes["adamw"] == 8.0 and sizes["muon"] == 4.0 and sizes["sgd"] == 4.0
