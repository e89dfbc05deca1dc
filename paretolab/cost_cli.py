"""``paretolab cost estimate|hardware``: what training costs (JSON on standard output)."""

from __future__ import annotations

import argparse
import json

from paretolab.costing import cli_support as costing_cli


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab cost`` and its sub-commands."""
    cost = subparsers.add_parser("cost", help="what training costs: FLOPs, time, dollars, energy")
    csub = cost.add_subparsers(dest="cost_command", required=True, parser_class=type(cost))
    est = csub.add_parser(
        "estimate",
        help="cost a training budget from a run config or bare architecture numbers (JSON)",
    )
    est.add_argument("config", nargs="?", help="YAML run config (or give --layers, --d-model …)")
    est.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    for flag, meaning in (
        ("--layers", "Transformer blocks"),
        ("--d-model", "residual width"),
        ("--heads", "attention heads"),
        ("--d-ff", "feed-forward width (default 4 × d-model)"),
        ("--vocab", "vocabulary size"),
        ("--seq-len", "tokens per training sequence"),
        ("--classes", "labels of a classifier's head"),
    ):
        est.add_argument(flag, type=int, help=meaning)
    est.add_argument(
        "--family",
        choices=["decoder_lm", "encoder_classifier", "encoder_decoder"],
        default="decoder_lm",
        help="model family of bare numbers (default decoder_lm, GPT-style)",
    )
    est.add_argument("--image-shape", help="a ViT config's images as C,H,W, e.g. 1,28,28")
    _architecture_terms(est)
    est.add_argument("--preset", help="a published model, e.g. llama-2-70b (presets.yaml)")
    est.add_argument("--hf-config", help="a Hugging Face config.json, or a model folder")
    est.add_argument("--params", type=costing_cli.count, help="parameter count N, e.g. 175B")
    est.add_argument("--tokens", type=costing_cli.count, help="training tokens D, e.g. 300B")
    est.add_argument("--hardware", help="catalog entry (see `paretolab cost hardware`)")
    est.add_argument("--devices", type=int, default=1, help="devices in data parallel")
    est.add_argument("--mfu", type=float, default=None, help="assumed MFU (default 0.4)")
    est.add_argument("--precision", choices=["32", "bf16-mixed", "16-mixed"])
    est.add_argument("--pricing", choices=["auto", "on_demand", "spot", "internal"])
    est.add_argument("--batch", type=int, default=1, help="sequences per device (memory)")
    est.add_argument("--finetune", choices=["full", "freeze", "lora"], help="fine-tuning method")
    est.add_argument("--freeze-layers", type=int, default=0, help="--finetune freeze: blocks")
    est.add_argument("--lora-rank", type=int, default=16, help="--finetune lora: rank")
    est.add_argument(
        "--lora-targets", choices=["qv", "attention", "all"], default="qv", help="LoRA's matrices"
    )
    est.add_argument("--pue", type=float, help="data-centre PUE (default: the catalog's)")
    est.add_argument("--tdp", type=float, help="watts per device (default: the catalog's TDP)")
    est.add_argument("--grid", help="a named grid, or kg CO2e per kWh (default: the catalog's)")
    est.set_defaults(handler=_cost)
    hardware = csub.add_parser("hardware", help="the hardware catalog, yours merged in (JSON)")
    hardware.set_defaults(handler=_cost)


def _architecture_terms(est: argparse.ArgumentParser) -> None:
    """Flags for today's architectures, beside --layers, --d-model …"""
    est.add_argument("--ffn", choices=["mlp", "swiglu", "geglu"], help="feed-forward kind")
    est.add_argument("--untied", action="store_true", help="output layer not tied to the embedding")
    est.add_argument("--bias", choices=["all", "attention", "qkv", "none"], help="linear biases")
    est.add_argument("--norm", choices=["layernorm", "rmsnorm"], help="normalisation layers")
    est.add_argument(
        "--positional",
        choices=["learned", "sinusoidal", "rope", "relative"],
        help="position encoding (default learned: a table of --seq-len rows)",
    )
    for flag, meaning in (
        ("--n-kv-heads", "key/value heads (grouped-query attention; 1: multi-query)"),
        ("--head-dim", "width of one attention head (default d-model / heads)"),
        ("--num-experts", "mixture of experts: routed experts per layer"),
        ("--experts-per-token", "mixture of experts: routed experts per token (top-k)"),
        ("--shared-experts", "mixture of experts: always-on experts"),
        ("--dense-layers-first", "mixture of experts: leading layers with a dense feed-forward"),
        ("--expert-d-ff", "mixture of experts: one expert's hidden width (default --d-ff)"),
    ):
        est.add_argument(flag, type=int, help=meaning)


def _cost(args: argparse.Namespace) -> int:
    print(json.dumps(costing_cli.run(args), indent=2))
    return 0
