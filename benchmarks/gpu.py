"""GPU path: tokens/s and MFU of a GPT-2-small-sized decoder in bf16-mixed with torch.compile.

    python benchmarks/gpu.py [--quick] [--batches 16,32,64] [--steps N] [--profile-dir DIR]

The model is the project's DecoderLM at GPT-2 small's size (12 layers, d_model 768, 12 heads,
d_ff 3072, sequence 1024, vocabulary 50,304, tied embeddings). Training runs under bf16
autocast with fp32 weights (what Lightning's ``bf16-mixed`` does), causal attention through
``scaled_dot_product_attention`` with ``is_causal`` (so the flash kernels take it), fused
AdamW, and ``torch.compile`` over the forward pass *and* the loss, so the cross-entropy over
the 50,304-way logits is fused too.

Rows, in one process on one device:

- ``eager, causal mask``: the attention path before this benchmark's fix (an explicit
  lower-triangular mask, which flash kernels refuse), uncompiled, for the before/after;
- ``eager, flash``: the same with ``is_causal``;
- ``compiled, flash`` at each batch size;
- at the largest batch, the compiled step with CUDA graphs (``triton.cudagraphs``: no launch
  gaps). Inductor's coordinate-descent tuning was tried too, but its tuning alone ran past
  the five minutes this script may take (H200, 2026-11-30), so it is not a row.

The goal is judged on the fastest compiled row.

FLOPs per step are measured once per batch size with torch's FlopCounterMode (forward +
backward of one real batch, lightning_modules.callbacks.flop_count), so MFU = measured FLOPs per step
× steps/s ÷ the catalog's dense bf16 peak for the device (paretolab/costing/hardware.yaml).
Each row is also profiled for three steps: the share of GPU time in matrix products,
attention, fused (Triton) kernels, the optimiser and the rest. Goal (issue 9): MFU ≥ 45% on
an H100/H200-class GPU. Finishes in under 5 minutes (compilation included). Without a CUDA
device it says so and exits 0 (``--device cpu --tiny`` runs the same code on a small model).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402
from benchmarks.kernel_time import profile_kernels  # noqa: E402

GOAL_MFU = 0.45
GPT2_SMALL = dict(n_layers=12, d_model=768, n_heads=12, d_ff=3072, seq_len=1024, vocab=50_304)
TINY = dict(n_layers=2, d_model=64, n_heads=4, d_ff=256, seq_len=64, vocab=512)
PROFILED_STEPS = 3


@dataclass(frozen=True)
class Variant:
    """One row: how the training step runs."""

    label: str
    batch: int
    compiled: bool
    flash: bool = True  # False: the explicit causal mask the attention passed before
    options: tuple[tuple[str, bool], ...] = ()  # torch.compile(options=…) for Inductor

    @property
    def cudagraphs(self) -> bool:
        return dict(self.options).get("triton.cudagraphs", False)


@dataclass
class Measured:
    """What one row measured."""

    variant: Variant
    steps_per_s: float
    tokens_per_s: float
    first_loss: float
    last_loss: float
    warmup_s: float
    peak_gib: float
    gpu_time_shares: dict[str, float]
    busy: float | None  # GPU kernel time / wall time over the profiled steps


def build_model(n_layers: int, d_model: int, n_heads: int, d_ff: int, seq_len: int, vocab: int):
    """The project's DecoderLM at the given size (no dropout: dropout is not part of MFU)."""
    from lightning_modules.models import DecoderLM, TransformerConfig

    shape = TransformerConfig(
        vocab_size=vocab,
        max_len=seq_len,
        d_model=d_model,
        n_layers=n_layers,
        n_heads=n_heads,
        d_ff=d_ff,
        dropout=0.0,
        positional="learned",
        tie_weights=True,
    )
    return DecoderLM(shape)


def lm_loss(model, tokens):
    """Next-token cross-entropy of a (B, T + 1) token batch."""
    import torch.nn.functional as F

    logits = model(tokens[:, :-1])  # (B, T, vocab)
    return F.cross_entropy(logits.flatten(0, 1).float(), tokens[:, 1:].flatten())


def step_loss(model, device_type: str):
    """A module computing the bf16-autocast loss of a token batch, for torch.compile to take
    whole: compiling only the model would leave the cross-entropy over (B·T, 50,304) fp32
    logits to several eager kernels, each a full pass over gigabytes."""
    import torch

    class StepLoss(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, tokens):
            with torch.autocast(device_type, dtype=torch.bfloat16):
                return lm_loss(self.model, tokens)

    return StepLoss()


def measured_step_flops(model, tokens) -> int:
    """FLOPs of one training step's forward and backward, as FlopCounterMode counts them
    (the optimiser's elementwise work is not model FLOPs and is left out, as in MFU)."""
    from lightning_modules.callbacks.flop_count import count_flops

    flops = count_flops(lambda: lm_loss(model, tokens).backward())
    model.zero_grad(set_to_none=True)
    return flops


def matmul_params(model) -> int:
    """Parameters that take part in matrix products: all but the position table (the tied
    token embedding counts once, as the output head)."""
    position = getattr(model.stack.embed, "position", None)
    n = sum(p.numel() for p in model.parameters())
    return n - (position.weight.numel() if position is not None else 0)


def formula_step_flops(n_params_no_embed: int, n_layers: int, d_model: int, b: int, t: int):
    """PaLM's 6N + 12·L·d·T per token (REFERENCES.md §1), for a cross-check."""
    return b * t * (6 * n_params_no_embed + 12 * n_layers * d_model * t)


def mfu(step_flops: float, steps_per_s: float, peak: float) -> float:
    """Model FLOPs utilisation: achieved model FLOP/s over the device's peak."""
    return step_flops * steps_per_s / peak


def bf16_peak(device_name: str) -> tuple[float | None, str]:
    """The catalog's dense bf16 peak for a CUDA device name, and the catalog entry's name."""
    from paretolab.costing.catalog import load_catalog
    from paretolab.costing.peaks import peak_flops

    catalog = load_catalog()
    key = catalog.match(device_name)
    if key is None:
        return None, f"{device_name} is not in the hardware catalog"
    peak, source = peak_flops(catalog.devices[key], "bf16-mixed")
    return peak, source


def _explicit_causal_mask(key_padding_mask, T_q, T_k, causal, device):
    """The attention's SDPA arguments before the fix: always an explicit mask tensor."""
    from lightning_modules.models import attention

    return {"attn_mask": attention._allowed_mask(key_padding_mask, T_q, T_k, causal, device)}


def _train(loss_of, opt, tokens, steps: int, sync, cudagraphs: bool = False):
    """Run ``steps`` optimiser steps; return their wall seconds and the first and last
    losses (read after the clock stops: no host sync inside the loop)."""
    import torch

    sync()
    start = time.perf_counter()
    losses = []
    for _ in range(steps):
        if cudagraphs:  # each step replays the graphs; earlier outputs may be overwritten
            torch.compiler.cudagraph_mark_step_begin()
        loss = loss_of(tokens)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.detach().clone())
    sync()
    return time.perf_counter() - start, float(losses[0]), float(losses[-1])


def _profile(loss_of, opt, tokens, sync, out_dir: Path | None, variant: Variant):
    """Profile a few steps: GPU time shares by kernel kind, and GPU busy time over wall time."""
    safe = "".join(c if c.isalnum() else "-" for c in variant.label)
    return profile_kernels(
        lambda: _train(loss_of, opt, tokens, PROFILED_STEPS, sync, variant.cudagraphs)[0],
        f"{variant.label}: top kernels over {PROFILED_STEPS} steps",
        out_dir / f"gpu-profile-{safe}.txt" if out_dir is not None else None,
    )


def run_variant(variant: Variant, shape: dict, device: str, steps: int, warmup: int, out_dir):
    """Build a fresh model and optimiser, warm up (compiling if asked), time ``steps`` steps,
    profile a few more; the model trains on one repeated batch, so its loss must fall."""
    from contextlib import nullcontext
    from unittest import mock

    import torch

    from lightning_modules.models import attention

    cuda = device == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.manual_seed(0)
    model = build_model(**shape).to(device)
    tokens = torch.randint(0, shape["vocab"], (variant.batch, shape["seq_len"] + 1), device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1, fused=cuda)
    loss_of = step_loss(model, device)
    if variant.compiled:
        loss_of = torch.compile(loss_of, dynamic=False, options=dict(variant.options) or None)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    patch = (
        nullcontext()
        if variant.flash
        else mock.patch.object(attention, "sdpa_mask_args", _explicit_causal_mask)
    )
    with patch:
        graphs = variant.cudagraphs
        warm_s, first_loss, _ = _train(loss_of, opt, tokens, warmup, sync, graphs)
        seconds, _, last_loss = _train(loss_of, opt, tokens, steps, sync, graphs)
        shares, busy = _profile(loss_of, opt, tokens, sync, out_dir, variant)
    peak_gib = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
    del loss_of, opt, model
    if variant.compiled:
        torch._dynamo.reset()
    if cuda:
        torch.cuda.empty_cache()
    steps_per_s = steps / seconds
    return Measured(
        variant,
        steps_per_s,
        steps_per_s * variant.batch * shape["seq_len"],
        first_loss,
        last_loss,
        warm_s,
        peak_gib,
        shares,
        busy,
    )


def flash_accepts(shape: dict, device: str) -> str:
    """Whether the flash kernel alone accepts the model's attention (it raises if not)."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    model = build_model(**shape).to(device)
    tokens = torch.randint(0, shape["vocab"], (2, shape["seq_len"]), device=device)
    try:
        with (
            sdpa_kernel(SDPBackend.FLASH_ATTENTION),
            torch.no_grad(),
            torch.autocast(device, dtype=torch.bfloat16),
        ):
            model(tokens)
        return "yes"
    except RuntimeError as exc:
        return f"no ({str(exc).splitlines()[0][:120]})"


def variants(batches: list[int], quick: bool) -> list[Variant]:
    """The rows to measure: the before/after of the attention path (eager, first batch
    size), the compiled step at each batch size, then with CUDA graphs at the largest."""
    compiled = [Variant(f"compiled, flash, batch {b}", b, compiled=True) for b in batches]
    if quick:
        return compiled[:1]
    b, top = batches[0], max(batches)
    return [
        Variant(f"eager, causal mask (before), batch {b}", b, compiled=False, flash=False),
        Variant(f"eager, flash, batch {b}", b, compiled=False),
        *compiled,
        Variant(
            f"compiled + CUDA graphs, batch {top}",
            top,
            compiled=True,
            options=(("triton.cudagraphs", True),),
        ),
    ]


def result_rows(results: list[Measured], step_flops: dict[int, int], peak: float | None):
    """Table rows, one per measured variant."""
    kinds = ["matmul", "attention", "fused (triton)", "optimiser", "other"]
    rows = []
    for r in results:
        util = mfu(step_flops[r.variant.batch], r.steps_per_s, peak) if peak else None
        shares = " / ".join(f"{r.gpu_time_shares.get(k, 0.0):.0%}" for k in kinds)
        rows.append(
            [
                r.variant.label,
                f"{r.tokens_per_s:,.0f}",
                f"{1000 / r.steps_per_s:.1f}",
                f"{util:.1%}" if util is not None else "n/a",
                f"{r.peak_gib:.1f}",
                shares if r.gpu_time_shares else "n/a",
                f"{r.busy:.0%}" if r.busy is not None else "n/a",
                f"{r.first_loss:.2f} → {r.last_loss:.2f}",
                f"{r.warmup_s:.0f}",
            ]
        )
    return rows


HEADER = [
    "variant",
    "tokens/s",
    "ms/step",
    "MFU",
    "peak GiB",
    "GPU time: matmul / attention / fused / optimiser / other",
    "GPU busy",
    "loss first → last",
    "warm-up s",
]


def flops_by_batch(shape: dict, batches: list[int], device: str) -> tuple[dict[int, int], int]:
    """Measured FLOPs per training step at each batch size (printed beside PaLM's formula),
    and the model's parameter count."""
    import torch

    step_flops, n_params = {}, 0
    for b in sorted(set(batches)):
        model = build_model(**shape).to(device)
        tokens = torch.randint(0, shape["vocab"], (b, shape["seq_len"] + 1), device=device)
        with torch.autocast(device, dtype=torch.bfloat16):
            step_flops[b] = measured_step_flops(model, tokens)
        n_params = sum(p.numel() for p in model.parameters())
        formula = formula_step_flops(
            matmul_params(model), shape["n_layers"], shape["d_model"], b, shape["seq_len"]
        )
        print(f"batch {b}: {step_flops[b]:.3e} FLOPs/step measured, {formula:.3e} by 6N+12LdT")
    return step_flops, n_params


def device_and_peak(device: str) -> tuple[str, float | None, str]:
    """The device in words, its catalog bf16 peak (None off a GPU) and the peak's source."""
    import torch

    if device != "cuda":
        return "CPU (script test)", None, "none"
    name = torch.cuda.get_device_name()
    props = torch.cuda.get_device_properties(0)
    where = (
        f"{name}, {props.multi_processor_count} SMs, {props.total_memory / 2**30:.0f} GiB, "
        f"CUDA {torch.version.cuda}"
    )
    return (where, *bf16_peak(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one compiled row, fewer steps")
    parser.add_argument("--batches", default="16,32,64", help="batch sizes, compiled rows")
    parser.add_argument(
        "--budget-s", type=float, default=230, help="start no row after this many seconds"
    )
    parser.add_argument("--steps", type=int, default=40, help="timed steps per row")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps (compilation)")
    parser.add_argument("--profile-dir", type=Path, help="write each row's top kernels here")
    parser.add_argument("--device", default="cuda", help="cuda; cpu only to test this script")
    parser.add_argument("--tiny", action="store_true", help="a small model (to test the script)")
    args = parser.parse_args(argv)
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu benchmark: skipped, no CUDA device here (it runs where one is present)")
        return 0
    started = time.perf_counter()
    remember_commit()
    if args.quick:
        args.steps, args.warmup = 15, 3
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    shape = TINY if args.tiny else GPT2_SMALL
    batches = [int(b) for b in args.batches.split(",")]
    if args.profile_dir:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    step_flops, n_params = flops_by_batch(shape, batches, args.device)
    flash = flash_accepts(shape, args.device) if args.device == "cuda" else "n/a (CPU)"
    results, skipped = [], []
    eager_steps = max(5, args.steps // 4)  # eager rows are slower and only for comparison
    for variant in variants(batches, args.quick):
        if time.perf_counter() - started > args.budget_s:  # keeps the script under 5 minutes
            skipped.append(variant.label)
            continue
        try:
            steps = args.steps if variant.compiled else eager_steps
            r = run_variant(variant, shape, args.device, steps, args.warmup, args.profile_dir)
        except Exception:  # a row that fails is reported, and the others still run
            print(f"{variant.label}: failed\n{traceback.format_exc()}")
            continue
        if not (math.isfinite(r.last_loss) and r.last_loss < r.first_loss):
            print(f"{variant.label}: loss did not fall ({r.first_loss} → {r.last_loss})")
        results.append(r)
        print(f"{variant.label}: {r.tokens_per_s:,.0f} tokens/s", flush=True)
    where, peak, source = device_and_peak(args.device)
    compiled = [r for r in results if r.variant.compiled]
    best = max(compiled, key=lambda r: r.tokens_per_s) if compiled else None
    best_mfu = (
        mfu(step_flops[best.variant.batch], best.steps_per_s, peak) if best and peak else None
    )
    table = markdown_table(HEADER, result_rows(results, step_flops, peak))
    verdict = (
        f"Best compiled row: {best.variant.label}, MFU {best_mfu:.1%} "
        f"(goal ≥ {GOAL_MFU:.0%}: {'met' if best_mfu >= GOAL_MFU else 'NOT met'})."
        if best_mfu is not None
        else "No MFU: no compiled row ran on a catalogued GPU."
    )
    b0 = batches[0]
    notes = (
        f"{verdict}\n\nDevice: {where}. {'Tiny' if args.tiny else 'GPT-2 small'} shape "
        f"({n_params / 1e6:.1f}M parameters), "
        f"sequence {shape['seq_len']}, bf16 autocast over fp32 weights, fused AdamW, "
        f"torch.compile(dynamic=False) over model + loss for compiled rows; "
        f"{args.steps} timed steps per compiled row ({eager_steps} per eager row) "
        f"after {args.warmup} warm-up steps, then {PROFILED_STEPS} profiled steps. "
        f"Measured FLOPs/step at batch {b0}: {step_flops[b0]:.3e}. Peak: {source}. "
        f"Flash kernel alone accepts the model's attention: {flash}. "
        f"GPU busy = kernel time ÷ wall time over the profiled steps. "
        f"Whole script: {time.perf_counter() - started:.0f} s."
        + (
            f" Not run (time budget of {args.budget_s:.0f} s): {'; '.join(skipped)}."
            if skipped
            else ""
        )
    )
    if args.tiny:  # a test of the script, not a measurement to keep
        print(f"{table}\n\n{notes}")
    else:
        publish("gpu", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
