"""The GPU benchmark's CPU-side logic: FLOP accounting, MFU, the catalog peak."""

from __future__ import annotations

import pytest
import torch

from benchmarks import gpu


def test_measured_flops_of_a_step_agree_with_palms_formula() -> None:
    shape = dict(n_layers=2, d_model=64, n_heads=4, d_ff=256, seq_len=32, vocab=97)
    model = gpu.build_model(**shape)
    tokens = torch.randint(0, shape["vocab"], (3, shape["seq_len"] + 1))
    measured = gpu.measured_step_flops(model, tokens)
    formula = gpu.formula_step_flops(gpu.matmul_params(model), 2, 64, 3, 32)
    # The formula counts every parameter as a matmul weight (biases, norms too) and
    # attention without the causal mask's saving: within 10% of what the kernels do.
    assert measured == pytest.approx(formula, rel=0.10)
    assert all(p.grad is None for p in model.parameters())  # measuring leaves no gradients


def test_mfu_is_achieved_model_flops_over_the_peak() -> None:
    assert gpu.mfu(step_flops=1e12, steps_per_s=400.0, peak=1e15) == pytest.approx(0.4)


def test_bf16_peak_comes_from_the_catalog() -> None:
    peak, source = gpu.bf16_peak("NVIDIA H200")
    assert peak == pytest.approx(9.895e14) and "bf16" in source
    assert gpu.bf16_peak("Imaginary GPU 9000") == (
        None,
        "Imaginary GPU 9000 is not in the hardware catalog",
    )
