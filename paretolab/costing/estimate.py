"""One training budget, costed end to end: ``paretolab cost estimate`` and the launch preview.

From a model shape and a token count to parameters, FLOPs (6·N·D and the exact count),
PF-days, time and device-hours at an assumed MFU, dollars, energy, CO₂e, memory and
Chinchilla context — every figure with the assumption it rests on.
"""

from __future__ import annotations

import math
from types import MappingProxyType

from paretolab.config import RunConfig
from paretolab.costing.catalog import Catalog, Device
from paretolab.costing.estimate_result import (
    Compute,
    Cost,
    Energy,
    Estimate,
    Hardware,
    Memory,
    ParamCounts,
)
from paretolab.costing.flops import (
    inference_flops_per_token,
    params_and_flops,
    pf_days,
    training_flops_for_tokens,
)
from paretolab.costing.memory import serving_memory, training_memory
from paretolab.costing.pricing import project
from paretolab.costing.scaling import chinchilla_context
from paretolab.costing.shapes import ModelShape, full_batch
from paretolab.errors import UserError

DEFAULT_MFU = 0.4  # nanoGPT reaches ≈ 37% on one A100, PaLM 46% (REFERENCES §4)


def shape_from_numbers(
    layers: int,
    d_model: int,
    heads: int,
    vocab: int,
    seq_len: int,
    d_ff: int | None = None,
    family: str = "decoder_lm",
    num_classes: int = 0,
) -> ModelShape:
    """A model shape from bare architecture numbers (GPT-style by default).

    Raises:
        UserError: a number that cannot describe a Transformer.
    """
    for name, value in (
        ("--layers", layers),
        ("--d-model", d_model),
        ("--heads", heads),
        ("--vocab", vocab),
        ("--seq-len", seq_len),
    ):
        if value is None or value < 1:
            raise UserError(f"{name} must be a positive integer, got {value}")
    if heads > d_model:
        raise UserError(f"--heads={heads} cannot exceed --d-model={d_model}")
    if family not in ("encoder_classifier", "decoder_lm", "encoder_decoder"):
        raise UserError(
            f"--family {family!r}: choose encoder_classifier, decoder_lm or encoder_decoder"
        )
    head = "classes" if family == "encoder_classifier" else "lm"
    if head == "classes" and num_classes < 1:
        raise UserError("--family encoder_classifier needs --classes (the number of labels)")
    return ModelShape(
        family=family,
        n_layers=layers,
        d_model=d_model,
        n_heads=heads,
        d_ff=d_ff or 4 * d_model,
        vocab_size=vocab,
        max_len=seq_len,
        head=head,
        num_classes=num_classes,
    )


def tokens_of_config(config: RunConfig, shape: ModelShape) -> float:
    """Training tokens a config's step budget processes (``trainer.max_steps`` full batches).

    Raises:
        UserError: the config trains by epochs, so its tokens depend on the data.
    """
    t = config.trainer
    if t.max_steps <= 0:
        raise UserError(
            "the config trains for trainer.max_epochs, so its token count depends on the data; "
            "give --tokens, or set trainer.max_steps"
        )
    batch = full_batch(shape, config.data.batch_size)
    return float(t.max_steps * t.accumulate_grad_batches * batch.tokens)


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


def default_precision(device: Device) -> str:
    """The precision a run on ``device`` would use: bf16 mixed where the device has it."""
    if device.kind == "cpu":
        return "32"
    for precision, dtype in (("bf16-mixed", "bf16"), ("16-mixed", "fp16")):
        if dtype in device.peak_flops:
            return precision
    return "32"


def estimate(
    catalog: Catalog,
    shape: ModelShape,
    tokens: float,
    hardware: str,
    devices: int = 1,
    mfu: float = DEFAULT_MFU,
    precision: str | None = None,
    pricing: str = "auto",
    params: float | None = None,
    batch: int = 1,
    optimizer: str = "adamw",
) -> Estimate:
    """Everything a training budget costs (``Estimate.to_dict()`` is its JSON form).

    Args:
        catalog: the hardware catalog.
        shape: the model.
        tokens: training tokens D.
        hardware: catalog entry to run on.
        devices: how many of them, training in data parallel.
        mfu: model FLOPs utilisation assumed (share of peak FLOP/s achieved).
        precision: ``32``, ``bf16-mixed`` or ``16-mixed`` (default: the device's best).
        pricing: ``auto``, ``on_demand``, ``spot`` or ``internal``.
        params: parameter count to use for 6·N·D and memory (default: counted).
        batch: sequences per device per micro-batch, for activation memory.
        optimizer: for optimiser-state memory.

    Raises:
        UserError: bad numbers or an unknown catalog entry.
    """
    # Named without a CLI flag: the dashboard's cost preview calls this too (the CLI checks
    # its own --tokens and --params first, in cli_support).
    if not _positive(tokens):
        raise UserError(f"the training token count must be a positive number, got {tokens}")
    if params is not None and not _positive(params):
        raise UserError(f"the parameter count must be a positive number, got {params}")
    device = catalog.device(hardware)
    precision = precision or default_precision(device)
    counted = params_and_flops(shape, tokens)
    n = params if params is not None else counted["params"]
    flops_6nd = 6.0 * n * tokens
    flops_exact = counted["flops_exact"]
    projection = project(catalog, flops_exact, hardware, devices, mfu, precision, pricing)
    s = projection.spend
    return Estimate(
        params=ParamCounts(n, counted["params"], counted["params_non_embedding"]),
        compute=Compute(
            tokens=tokens,
            flops_6nd=flops_6nd,
            flops_exact=flops_exact,
            flops_breakdown=MappingProxyType(training_flops_for_tokens(shape, tokens)),
            pf_days=pf_days(flops_exact),
            pf_days_6nd=pf_days(flops_6nd),
            inference_flops_per_token=inference_flops_per_token(shape),
        ),
        hardware=Hardware(
            entry=hardware,
            device_name=s.device_name,
            devices=devices,
            precision=precision,
            dtype=projection.dtype,
            peak_flops=projection.peak_flops,
            mfu=mfu,
        ),
        cost=Cost(s.wall_seconds / 3600.0, s.device_hours, s.cost_usd, s.price_usd_per_hour),
        energy=Energy(s.energy_kwh, s.co2_kg),
        memory=Memory(
            training=training_memory(
                shape, batch, precision=precision, optimizer=optimizer, params=n
            ),
            serving=serving_memory(shape, params=n),
            device_memory_gb=device.memory_gb,
        ),
        chinchilla=chinchilla_context(n, tokens),
        assumptions=(
            "time and cost from flops_exact (the per-layer count; backward = 2 × forward)",
            f"peak {projection.peak_flops:.3g} FLOP/s per device: {projection.peak_source}",
            f"MFU {mfu:.0%} of peak, {devices} device(s) in data parallel, no idle time",
            f"price: {s.price_quote}",
            f"energy: TDP {s.tdp_watts:g} W × PUE {s.pue:g} (an estimate, not a measurement)",
            f"carbon: {s.carbon_kg_per_kwh:g} kg CO2e/kWh ({s.grid})",
            f"memory: batch {batch} sequence(s) per device, optimizer {optimizer}",
        ),
    )
