"""``paretolab cost …``: command-line arguments into the cost model, results as JSON."""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

from paretolab.config.io import load_config
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import DEFAULT_MFU, estimate, shape_from_numbers, tokens_of_config
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError

_SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_ARCHITECTURE = ("layers", "d_model", "heads", "vocab", "seq_len")


def count(text: str) -> float:
    """A count such as ``300B``, ``1.5e11``, ``125M`` or ``2,000`` as a number."""
    match = re.fullmatch(r"\s*([0-9][0-9_,]*\.?[0-9]*(?:e[+-]?\d+)?)\s*([kmbgt]?)\s*", text, re.I)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count (e.g. 300B, 1.5e11, 125M)")
    return (
        float(match.group(1).replace(",", "").replace("_", "")) * _SUFFIXES[match.group(2).lower()]
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON document of ``paretolab cost estimate`` or ``paretolab cost hardware``."""
    catalog = load_catalog()
    if args.cost_command == "hardware":
        return catalog.model_dump(mode="json")
    for flag, value in (("--tokens", args.tokens), ("--params", args.params)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UserError(f"{flag} must be a positive number, got {value:g}")
    shape, config_tokens, config_hw, config_precision = _shape(args)
    tokens = args.tokens or config_tokens
    if tokens is None:
        raise UserError("give --tokens, the number of training tokens (e.g. --tokens 300B)")
    hardware = args.hardware or config_hw or "cpu"
    return estimate(
        catalog,
        shape,
        tokens,
        hardware,
        devices=args.devices,
        mfu=DEFAULT_MFU if args.mfu is None else args.mfu,
        precision=args.precision or config_precision,
        pricing=args.pricing or "auto",
        params=args.params,
        batch=args.batch,
    ).to_dict()


def _shape(args: argparse.Namespace) -> tuple[ModelShape, float | None, str | None, str | None]:
    """The model shape, and what the config adds: tokens, hardware entry, precision."""
    given = [name for name in _ARCHITECTURE if getattr(args, name) is not None]
    if args.config is None:
        missing = [f"--{n.replace('_', '-')}" for n in _ARCHITECTURE if n not in given]
        if missing:
            raise UserError(f"give a run config, or the architecture: missing {', '.join(missing)}")
        shape = shape_from_numbers(
            args.layers,
            args.d_model,
            args.heads,
            args.vocab,
            args.seq_len,
            args.d_ff,
            args.family,
            args.classes or 0,
        )
        return shape, None, None, None
    if given:
        raise UserError(
            "give a run config or architecture numbers, not both (change the config with --set)"
        )
    config = load_config(args.config, args.overrides)
    shape = ModelShape.from_config(
        config, num_classes=args.classes or 0, image_shape=_image_shape(args, config.model.family)
    )
    tokens = tokens_of_config(config, shape) if args.tokens is None else None
    profile = config.hardware.profile if config.hardware.profile != "auto" else None
    return shape, tokens, profile, config.trainer.precision


def _image_shape(args: argparse.Namespace, family: str) -> tuple[int, int, int] | None:
    if family != "vit":
        return None
    if not args.image_shape:
        raise UserError("a ViT config needs --image-shape C,H,W (e.g. 1,28,28 for MNIST)")
    try:
        c, h, w = (int(x) for x in args.image_shape.split(","))
    except ValueError:
        raise UserError(
            f"--image-shape {args.image_shape!r}: expected C,H,W, e.g. 1,28,28"
        ) from None
    return c, h, w
