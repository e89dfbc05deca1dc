"""``paretolab attention RUN [--checkpoint best|last] (--text TEXT | --sample N | --image FILE)
--out FILE.npz``: every layer's and head's attention for one input, with rollout and
saliency, as a ``.npz`` file (arrays: see ``lightning_modules.inspection.maps``).

Registered under the ``paretolab.commands`` entry-point group; torch loads only when the
command runs, so ``paretolab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from paretolab.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``attention`` command."""
    p = subparsers.add_parser(
        "attention",
        help="a run's attention (every layer and head), rollout and saliency for one input",
        description=(
            "Run one input through a trained run on the explicit attention path and write "
            "every layer's and head's attention probabilities, attention rollout and (for "
            "classifiers) input × gradient saliency to an .npz file."
        ),
    )
    p.add_argument("run_id", type=int, metavar="RUN", help="the run's id (`paretolab runs list`)")
    p.add_argument("--checkpoint", choices=["best", "last"], default="best")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="typed input, tokenized with the run's tokenizer")
    what.add_argument("--sample", type=int, metavar="N", help="sample N of the val/test split")
    what.add_argument("--image", metavar="FILE", help="an image file (ViT runs)")
    p.add_argument("--split", choices=["val", "test"], default="val", help="for --sample")
    p.add_argument("--fold", type=int, help="a cross-validated run's fold (default 0)")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to write the arrays")
    p.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Extract and write; prints what was written. Bad input raises ``UserError``."""
    from lightning_modules.inspection import (
        DatasetSamples,
        extract,
        image_example,
        load_run,
        save_npz,
        text_example,
    )

    if args.sample is not None and args.sample < 0:
        raise UserError(f"--sample must be 0 or more, not {args.sample}")
    run = load_run(args.run_id, args.checkpoint, fold=args.fold)
    if args.text is not None:
        example = text_example(run, args.text)
    elif args.image is not None:
        example = image_example(run, args.image)
    else:
        example = DatasetSamples(run).example(args.split, args.sample)
    maps = extract(run, example)
    path = save_npz(maps, args.out)
    print(summary(maps), file=sys.stderr)
    print(path)
    return 0


def summary(maps) -> str:
    """A few lines on what was extracted (for the terminal)."""
    lines = [
        f"{maps.run}, {maps.source}: {len(maps.tokens)} tokens, "
        f"{_count(maps.layers, 'layer')} × {_count(maps.heads, 'head')}",
        f"prediction: {maps.prediction}"
        + (f" (reference: {maps.reference})" if maps.reference else ""),
        f"explicit path = fast path to within {maps.fast_path_max_diff:.1e}",
    ]
    lines += [f"note: {note}" for note in maps.notes]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
