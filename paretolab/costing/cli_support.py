"""``paretolab cost …``: command-line arguments into the cost model, results as JSON."""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass, replace
from typing import Any

from paretolab import tasks
from paretolab.config import RunConfig
from paretolab.config.io import load_config
from paretolab.costing.budget import BUILTIN_CLASSES, BUILTIN_IMAGES, tokens_of_config
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import (
    DEFAULT_MFU,
    EnergyAssumptions,
    estimate,
)
from paretolab.costing.finetune import Finetune, config_finetune
from paretolab.costing.hf_config import shape_from_hf_config
from paretolab.costing.presets import preset
from paretolab.costing.shape_sources import config_shape, shape_from_numbers
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError

_SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_ARCHITECTURE = ("layers", "d_model", "heads", "vocab", "seq_len")
# ModelShape fields that bare numbers may set (flags of the same name, dashes for _).
_TERMS = (
    "ffn",
    "n_kv_heads",
    "head_dim",
    "bias",
    "norm",
    "positional",
    "num_experts",
    "experts_per_token",
    "shared_experts",
    "dense_layers_first",
    "expert_d_ff",
)


def count(text: str) -> float:
    """A count such as ``300B``, ``1.5e11``, ``125M`` or ``2,000`` as a number."""
    match = re.fullmatch(r"\s*(-?[0-9][0-9_,]*\.?[0-9]*(?:e[+-]?\d+)?)\s*([kmbgt]?)\s*", text, re.I)
    if not match:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count: a number with an optional unit k, M, B (or G) or T, "
            "e.g. 300B, 1.5e11, 125M"
        )
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
    found = _shape(args)
    tokens = args.tokens or found.tokens
    if tokens is None:
        raise UserError("give --tokens, the number of training tokens (e.g. --tokens 300B)")
    if found.shape is None and args.params is None:
        raise UserError(
            "give --params (e.g. --params 7B), or the architecture: a run config, --preset, "
            "--hf-config, or --layers, --d-model, --heads, --vocab, --seq-len"
        )
    hardware = args.hardware or found.hardware or "cpu"
    return estimate(
        catalog,
        found.shape,
        tokens,
        hardware,
        devices=args.devices,
        mfu=DEFAULT_MFU if args.mfu is None else args.mfu,
        precision=args.precision or found.precision,
        pricing=args.pricing or "auto",
        params=args.params,
        batch=args.batch,
        energy=EnergyAssumptions(args.pue, args.tdp, args.grid),
        finetune=_finetune(args, found.finetune),
        notes=(*found.notes, *(() if args.tokens is None else ("tokens: given (--tokens)",))),
    ).to_dict()


@dataclass(frozen=True)
class _Found:
    """The model shape (None: none given), and what its source adds."""

    shape: ModelShape | None
    tokens: float | None = None
    hardware: str | None = None
    precision: str | None = None
    notes: tuple[str, ...] = ()
    finetune: Finetune | None = None
    """What a run config's ``model.finetune`` asks for."""


def _finetune(args: argparse.Namespace, from_config: Finetune | None) -> Finetune | None:
    if args.finetune is None:
        return from_config
    return Finetune(args.finetune, args.freeze_layers, args.lora_rank, args.lora_targets)


def _shape(args: argparse.Namespace) -> _Found:
    """The model shape, from the one source given: config, preset, HF config or numbers."""
    given = [name for name in _ARCHITECTURE if getattr(args, name) is not None]
    sources = [
        flag
        for flag, value in (
            ("a run config", args.config),
            ("--preset", args.preset),
            ("--hf-config", args.hf_config),
            ("--layers …", given or None),
        )
        if value
    ]
    if len(sources) > 1:
        raise UserError(
            f"give one architecture, not {' and '.join(sources)} "
            "(change a config with --set, a preset or HF config with --seq-len)"
        )
    if args.config is not None:
        return _from_config(args)
    if args.preset is not None:
        found = preset(args.preset)
        shape = found.shape if args.seq_len is None else replace(found.shape, context=args.seq_len)
        notes = [f"architecture: {found.source}"]
        if found.tokens and args.tokens is None:
            notes.append(f"tokens: {found.tokens:.3g} ({found.tokens_source})")
        return _Found(shape, found.tokens, notes=tuple(notes))
    if args.hf_config is not None:
        shape = shape_from_hf_config(args.hf_config, args.seq_len)
        return _Found(shape, notes=(f"architecture: {args.hf_config}",))
    if not given:
        return _Found(None)
    missing = [f"--{n.replace('_', '-')}" for n in _ARCHITECTURE if n not in given]
    if missing:
        raise UserError(f"give a run config, or the architecture: missing {', '.join(missing)}")
    terms = {term: getattr(args, term) for term in _TERMS}
    terms["tie_weights"] = False if args.untied else None
    shape = shape_from_numbers(
        args.layers,
        args.d_model,
        args.heads,
        args.vocab,
        args.seq_len,
        args.d_ff,
        args.family,
        args.classes or 0,
        **terms,
    )
    return _Found(shape)


def _from_config(args: argparse.Namespace) -> _Found:
    config = load_config(args.config, args.overrides)
    shape = config_shape(
        config,
        num_classes=_num_classes(args, config),
        image_shape=_image_shape(args, config.model.family, config.data.dataset),
    )
    budget = tokens_of_config(config, shape) if args.tokens is None else None
    profile = config.hardware.profile if config.hardware.profile != "auto" else None
    return _Found(
        shape,
        budget.tokens if budget else None,
        profile,
        config.trainer.precision,
        budget.assumptions if budget else (),
        config_finetune(config),
    )


def _num_classes(args: argparse.Namespace, config: RunConfig) -> int:
    """The classifier head's width: --classes, else the built-in dataset's (the run's own
    count, so the estimate's parameters equal the run's)."""
    head = tasks.TASKS[config.task].head
    if (
        args.classes
        or config.model.is_pretrained()
        or head != "classes"
        or config.task == "regression"
    ):
        return args.classes or 0
    if config.data.dataset in BUILTIN_CLASSES:
        return BUILTIN_CLASSES[config.data.dataset]
    raise UserError(
        f"the classifier head's width comes from data.dataset={config.data.dataset!r}'s "
        "labels, which paretolab does not know before reading it; give --classes N"
    )


def _image_shape(
    args: argparse.Namespace, family: str, dataset: str
) -> tuple[int, int, int] | None:
    if family != "vit":
        return None
    if not args.image_shape and dataset in BUILTIN_IMAGES:
        return BUILTIN_IMAGES[dataset]
    if not args.image_shape:
        raise UserError("a ViT config needs --image-shape C,H,W (e.g. 1,28,28 for MNIST)")
    try:
        c, h, w = (int(x) for x in args.image_shape.split(","))
    except ValueError:
        raise UserError(
            f"--image-shape {args.image_shape!r}: expected C,H,W, e.g. 1,28,28"
        ) from None
    return c, h, w
