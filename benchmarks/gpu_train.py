"""The product's own training path on a GPU, beside the standalone script, in one run.

    python benchmarks/gpu_train.py [--quick] [--batch 64] [--steps 300] [--no-fsdp]

Rows, one process after the other on the same device:

- ``paretolab train configs/gpt2_small_gpu.yaml``: GPT-2 small's shape on Shakespeare,
  bf16-mixed, ``trainer.compile``, fused AdamW, flash attention, through the CLI a user
  runs. Its figures are the run's own: ``cost/tokens_per_sec`` and ``cost/mfu`` (the
  compiling first step left out, as ``cost.json`` says; the wall time keeps it);
- ``benchmarks/gpu.py``'s compiled row (model + loss under ``torch.compile``, fused AdamW,
  bf16 autocast) at the same batch, sequence and vocabulary size as the run's model;
- with FSDP (unless ``--no-fsdp``): a tiny GPT-2 fully fine-tuned through ``paretolab
  train`` with ``hardware.strategy=fsdp`` in bf16 (one GPU: FSDP wraps and checkpoints each
  block but has nothing to shard), its full-state-dict checkpoint read back by
  ``restore_task``: the path that cannot run on a CPU.

Goals (issue 24): the run's MFU ≥ 45% on an H100/H200, and its tokens/s ≥ 0.95 × the
standalone row's. Without a CUDA device it refuses (exit 2): there is nothing to measure.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    home_store,
    markdown_table,
    publish,
    remember_commit,
    train_with_cli,
)

CONFIG = "configs/gpt2_small_gpu.yaml"
GOAL_MFU, GOAL_RATIO = 0.45, 0.95
HEADER = ["path", "tokens/s", "MFU", "vs standalone tokens/s", "notes"]
FSDP_CONFIG = """\
task: language_modeling
data: {{dataset: shakespeare, limit_samples: 300, max_length: 64, batch_size: 16}}
model: {{pretrained: "{folder}"}}
trainer: {{max_steps: 20, val_every_n_steps: 10, precision: bf16-mixed, monitor: val_loss}}
hardware: {{accelerator: gpu, devices: 1, strategy: fsdp}}
generate: {{max_new_tokens: 8, num_samples: 1}}
wandb: {{mode: disabled}}
"""


@dataclass(frozen=True)
class Row:
    """One measured path."""

    path: str
    tokens_per_s: float
    mfu: float | None
    notes: str


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer steps: a smoke check")
    parser.add_argument("--batch", type=int, default=64, help="sequences per step, both rows")
    parser.add_argument("--steps", type=int, default=300, help="training steps of the run")
    parser.add_argument("--no-fsdp", action="store_true", help="leave out the FSDP row")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.steps < 10:
        parser.error("--batch must be at least 1 and --steps at least 10")
    if args.quick:
        args.steps = 60
    return args


def ratio_text(row: Row, standalone: Row | None) -> str:
    """A row's tokens/s as a multiple of the standalone row's."""
    if (
        standalone is None
        or row is standalone
        or not (standalone.tokens_per_s and row.tokens_per_s)
    ):
        return "—"
    return f"{row.tokens_per_s / standalone.tokens_per_s:.2f}×"


def table(rows: list[Row]) -> str:
    """The results table; ratios are against the ``gpu.py`` row, if there is one."""
    standalone = next((r for r in rows if r.path.startswith("benchmarks/gpu.py")), None)
    body = [
        [
            r.path,
            f"{r.tokens_per_s:,.0f}" if r.tokens_per_s else "—",
            f"{r.mfu:.1%}" if r.mfu is not None else "n/a",
            ratio_text(r, standalone),
            r.notes,
        ]
        for r in rows
    ]
    return markdown_table(HEADER, body)


def verdict(run: Row, standalone: Row) -> str:
    """Whether the run met the issue's two goals, in one sentence."""
    ratio = run.tokens_per_s / standalone.tokens_per_s
    mfu_ok = run.mfu is not None and run.mfu >= GOAL_MFU
    mfu = f"{run.mfu:.1%}" if run.mfu is not None else "n/a"
    return (
        f"`paretolab train`: MFU {mfu} (goal ≥ {GOAL_MFU:.0%}: {'met' if mfu_ok else 'NOT met'}), "
        f"tokens/s {ratio:.2f}× the standalone script's (goal ≥ {GOAL_RATIO}: "
        f"{'met' if ratio >= GOAL_RATIO else 'NOT met'})."
    )


def train_row(home: Path, batch: int, steps: int) -> tuple[Row, int, dict]:
    """Train the GPU config through the CLI; its row, its model's vocabulary size and the
    run's ``cost/*`` figures."""
    from lightning_modules.run.init_from import read_checkpoint

    overrides = [f"data.batch_size={batch}", f"trainer.max_steps={steps}", "wandb.mode=disabled"]
    overrides.append(f"trainer.val_every_n_steps={steps}")
    run_id, wall = train_with_cli(home, CONFIG, overrides)
    latest = home_store(home).latest_metrics(run_id)
    cost = {k.removeprefix("cost/"): m.value for k, m in latest.items() if k.startswith("cost/")}
    ckpt = read_checkpoint(home / "runs" / str(run_id) / "checkpoints" / "last.ckpt")
    vocab = int(ckpt["hyper_parameters"]["vocab_size"])
    notes = (
        f"run {run_id}: {steps} steps, batch {batch}, vocabulary {vocab:,}; compile "
        f"{cost.get('compile_seconds', 0):.0f} s, training {cost['train_seconds']:.0f} s, "
        f"command {wall:.0f} s in all"
    )
    row = Row(f"paretolab train {CONFIG}", cost["tokens_per_sec"], cost.get("mfu"), notes)
    return row, vocab, cost


def standalone_row(
    batch: int,
    vocab: int,
    steps: int,
    flops_per_token: float,
    peak: float | None,
    device: str = "cuda",
    layers: dict | None = None,
) -> Row:
    """``benchmarks/gpu.py``'s compiled row at the run's shape (``layers``: GPT-2 small's
    unless given). Its MFU uses the run's FLOPs per token (the cost model's count), so the
    two MFUs differ only by speed."""
    from benchmarks import gpu

    shape = dict(layers or gpu.GPT2_SMALL, vocab=vocab)
    variant = gpu.Variant(f"compiled, flash, batch {batch}", batch, compiled=True)
    measured = gpu.run_variant(variant, shape, device, steps, 5, None)
    util = measured.tokens_per_s * flops_per_token / peak if peak else None
    notes = f"{steps} timed steps after 5 warm-up; loss {measured.first_loss:.2f} → "
    notes += f"{measured.last_loss:.2f}; peak {measured.peak_gib:.1f} GiB"
    return Row(f"benchmarks/gpu.py ({variant.label})", measured.tokens_per_s, util, notes)


def fsdp_row(home: Path, workdir: Path) -> Row:
    """A tiny GPT-2 fine-tuned with FSDP through the CLI, its checkpoint restored."""
    from lightning_modules.run.init_from import read_checkpoint
    from lightning_modules.tasks import restore_task
    from tests.tiny_hf import save_tiny_model

    folder = save_tiny_model("gpt2", workdir / "tiny-gpt2")
    config = workdir / "fsdp_tiny_gpu.yaml"
    config.write_text(FSDP_CONFIG.format(folder=folder), encoding="utf-8")
    start = time.perf_counter()
    run_id, _ = train_with_cli(home, str(config), [])
    checkpoints = home / "runs" / str(run_id) / "checkpoints"
    restored = restore_task(read_checkpoint(checkpoints / "best.ckpt"))
    latest = home_store(home).latest_metrics(run_id)
    notes = (
        f"run {run_id} finished in {time.perf_counter() - start:.0f} s; test_loss "
        f"{latest['test_loss'].value:.3f}; best.ckpt restored "
        f"({sum(p.numel() for p in restored.parameters()):,} parameters)"
    )
    return Row("paretolab train, hardware.strategy=fsdp (tiny GPT-2)", 0.0, None, notes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print(
            "gpu_train: refused: no CUDA device here. It measures `paretolab train` on a GPU; "
            "run it on a machine with one (benchmarks/gpu.py --device cpu --tiny tests the "
            "standalone side on a CPU).",
            file=sys.stderr,
        )
        return 2
    remember_commit()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the tiny GPT-2 is built here, not fetched
    with tempfile.TemporaryDirectory(prefix="gpu-train-") as tmp:
        home = Path(tmp) / "home"
        run, vocab, cost = train_row(home, args.batch, args.steps)
        flops_per_token = cost["flops_estimated"] / cost["tokens"]
        steps = max(10, args.steps // 4)
        standalone = standalone_row(args.batch, vocab, steps, flops_per_token, cost["peak_flops"])
        rows = [run, standalone]
        if not args.no_fsdp:
            rows.append(fsdp_row(home, Path(tmp)))
    from benchmarks.gpu import device_and_peak

    where, _, source = device_and_peak("cuda")
    notes = (
        f"{verdict(run, standalone)}\n\nDevice: {where}. Peak: {source}. The run's figures are "
        f"its own cost/tokens_per_sec and cost/mfu; the standalone row's MFU takes the same "
        f"FLOPs per token ({flops_per_token:.3e}, the cost model's count), so the two MFUs "
        f"differ by speed alone."
    )
    publish("gpu_train", table(rows), notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
