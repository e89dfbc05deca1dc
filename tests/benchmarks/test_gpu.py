"""The GPU benchmark's CPU-side logic: FLOP accounting, MFU, the catalog peak."""

from __future__ import annotations

import pytest
import torch

from benchmarks import gpu, kernel_time


@pytest.mark.slow
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


def test_kernels_are_sorted_by_what_they_compute() -> None:
    assert (
        kernel_time.kernel_kind("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x256x64")
        == "matmul"
    )
    assert kernel_time.kernel_kind("nvjet_tst_256x128_64x4_2x1_v_bz_coopA_TNT") == "matmul"
    assert kernel_time.kernel_kind(
        "void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits>"
    ) == ("attention")
    assert kernel_time.kernel_kind("fmha_cutlassB_bf16_aligned_64x64_k64_sm80") == "attention"
    assert (
        kernel_time.kernel_kind("void at::native::(anonymous)::fused_adamw_kernel") == "optimiser"
    )
    assert kernel_time.kernel_kind("triton_red_fused__log_softmax_0") == "fused (triton)"
    # Inductor names kernels after the ops they fuse: this one prepares attention's inputs
    name = "triton_poi_fused__scaled_dot_product_flash_attention_3"
    assert kernel_time.kernel_kind(name) == "fused (triton)"
    assert kernel_time.kernel_kind("void at::native::vectorized_elementwise_kernel<4>") == "other"
    shares = kernel_time.time_shares({"nvjet_a": 60.0, "nvjet_b": 20.0, "triton_poi_x": 20.0})
    assert shares == pytest.approx({"matmul": 0.8, "fused (triton)": 0.2})


def test_rows_compare_the_attention_paths_then_each_compiled_batch() -> None:
    rows = gpu.variants([16, 32], quick=False)
    assert [(v.compiled, v.flash, v.batch, v.cudagraphs) for v in rows] == [
        (False, False, 16, False),
        (False, True, 16, False),
        (True, True, 16, False),
        (True, True, 32, False),
        (True, True, 32, True),
    ]
    assert [v.batch for v in gpu.variants([16, 32], quick=True)] == [16]


@pytest.mark.parametrize("flash", [False, True])
def test_a_row_trains_the_model_and_measures_it(flash: bool, tmp_path) -> None:
    """The same code as on a GPU, on a small model on the CPU, uncompiled."""
    variant = gpu.Variant("eager, tiny", batch=2, compiled=False, flash=flash)
    measured = gpu.run_variant(variant, gpu.TINY, "cpu", steps=4, warmup=2, out_dir=tmp_path)
    assert measured.tokens_per_s > 0 and measured.steps_per_s > 0
    assert measured.last_loss < measured.first_loss  # one repeated batch: the loss falls
    assert measured.gpu_time_shares == {} and measured.busy is None  # no GPU kernels here
    row = gpu.result_rows([measured], {2: 10**9}, peak=None)[0]
    assert row[0] == "eager, tiny" and row[3] == "n/a" and len(row) == len(gpu.HEADER)
