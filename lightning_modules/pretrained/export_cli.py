"""``paretolab export-model RUN --out DIR [--checkpoint best|last]``: a pretrained run's
fine-tuned model (LoRA merged) as a plain Hugging Face folder (see ``export``).

Registered under the ``paretolab.commands`` entry-point group; torch loads only when the
command runs, so ``paretolab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export-model`` command."""
    p = subparsers.add_parser(
        "export-model",
        help="a pretrained run's model (LoRA merged) as a Hugging Face folder",
        description=(
            "Write a pretrained run's fine-tuned model, with LoRA adapters merged into its "
            "weights, as a folder that transformers' Auto classes load (save_pretrained), "
            "with its tokenizer or image processor and paretolab_export.json."
        ),
    )
    p.add_argument("run_id", type=int, metavar="RUN", help="the run's id (`paretolab runs list`)")
    p.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    p.add_argument("--checkpoint", choices=["best", "last"], default="best")
    p.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Export; prints the folder written. Bad input raises ``UserError``."""
    from lightning_modules.pretrained.export import export_model

    record = export_model(args.run_id, Path(args.out), args.checkpoint)
    print(
        f"run {record['run_id']}, {record['checkpoint']} checkpoint (step {record['step']}), "
        f"{record['source_model']} fine-tuned ({record['finetune']})",
        file=sys.stderr,
    )
    print(args.out)
    return 0
