"""GPU path: tokens/s and MFU of a GPT-2-small-sized decoder in bf16-mixed with torch.compile.

    python benchmarks/gpu.py [--quick] [--batch B] [--steps N] [--warmup N0] [--no-compile]

The model is the project's DecoderLM at GPT-2 small's size (12 layers, d_model 768, 12 heads,
d_ff 3072, sequence 1024, vocabulary 50,304, tied embeddings). Training runs under bf16
autocast with fp32 weights (what Lightning's ``bf16-mixed`` does), attention through
``scaled_dot_product_attention`` (flash kernels on the GPU), fused AdamW, ``torch.compile``.

FLOPs per step are measured once with torch's FlopCounterMode (forward + backward of one
real batch, lightning_modules.flop_count), so MFU = measured FLOPs per step × steps/s ÷ the
catalog's dense bf16 peak for the device (paretolab/costing/hardware.yaml). Goal (issue 9):
MFU ≥ 45% on an H100/H200-class GPU. Finishes in under 5 minutes (compilation included).
Without a CUDA device it says so and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402

GOAL_MFU = 0.45
GPT2_SMALL = dict(n_layers=12, d_model=768, n_heads=12, d_ff=3072, seq_len=1024, vocab=50_304)


def build_model(n_layers: int, d_model: int, n_heads: int, d_ff: int, seq_len: int, vocab: int):
    """The project's DecoderLM at the given size (no dropout: dropout is not part of MFU)."""
    from lightning_modules.models import DecoderLM

    return DecoderLM(
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


def lm_loss(model, tokens):
    """Next-token cross-entropy of a (B, T + 1) token batch."""
    import torch.nn.functional as F

    logits = model(tokens[:, :-1])  # (B, T, vocab)
    return F.cross_entropy(logits.flatten(0, 1).float(), tokens[:, 1:].flatten())


def measured_step_flops(model, tokens) -> int:
    """FLOPs of one training step's forward and backward, as FlopCounterMode counts them
    (the optimiser's elementwise work is not model FLOPs and is left out, as in MFU)."""
    from lightning_modules.flop_count import count_flops

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


def train_steps(model, opt, tokens, steps: int) -> float:
    """Run ``steps`` optimiser steps on the GPU; return their wall seconds (synchronised)."""
    import torch

    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = lm_loss(model, tokens)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer timed steps")
    parser.add_argument("--batch", type=int, default=16, help="sequences per step")
    parser.add_argument("--steps", type=int, default=60, help="timed steps")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps (compilation)")
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("gpu benchmark: skipped, no CUDA device here (it runs where one is present)")
        return 0
    if args.quick:
        args.steps, args.warmup = 15, 5
    remember_commit()
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    s = GPT2_SMALL
    model = build_model(**s).cuda()
    n_params = sum(p.numel() for p in model.parameters())
    gen = torch.Generator(device="cuda").manual_seed(0)
    tokens = torch.randint(
        0, s["vocab"], (args.batch, s["seq_len"] + 1), device="cuda", generator=gen
    )
    with torch.autocast("cuda", dtype=torch.bfloat16):
        step_flops = measured_step_flops(model, tokens)
    formula = formula_step_flops(
        matmul_params(model), s["n_layers"], s["d_model"], args.batch, s["seq_len"]
    )
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1, fused=True)
    run_model = model if args.no_compile else torch.compile(model)
    start = time.perf_counter()
    train_steps(run_model, opt, tokens, args.warmup)
    warm_s = time.perf_counter() - start
    seconds = train_steps(run_model, opt, tokens, args.steps)
    steps_per_s = args.steps / seconds
    tokens_per_s = steps_per_s * args.batch * s["seq_len"]
    name = torch.cuda.get_device_name()
    peak, source = bf16_peak(name)
    util = mfu(step_flops, steps_per_s, peak) if peak else None
    header = ["device", "tokens/s", "ms/step", "FLOPs/step (measured)", "MFU", "goal", "met"]
    rows = [
        [
            name,
            f"{tokens_per_s:,.0f}",
            f"{1000 / steps_per_s:.1f}",
            f"{step_flops:.3e} (6N+12LdT formula: {formula:.3e})",
            f"{util:.1%}" if util is not None else "n/a",
            f"≥ {GOAL_MFU:.0%}",
            "yes" if util is not None and util >= GOAL_MFU else "NO",
        ]
    ]
    table = markdown_table(header, rows)
    notes = (
        f"GPT-2 small shape, {n_params / 1e6:.1f}M parameters, batch {args.batch} × "
        f"{s['seq_len']}, bf16 autocast, fused AdamW, compile={not args.no_compile}; "
        f"{args.steps} timed steps after {args.warmup} warm-up steps ({warm_s:.0f} s). "
        f"Peak: {source}."
    )
    publish("gpu", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
