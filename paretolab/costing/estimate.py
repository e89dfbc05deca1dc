"""One training budget, costed end to end: ``paretolab cost estimate`` and the launch preview.

From a model shape and a token count to parameters, FLOPs (6·N·D and the exact count),
PF-days, time and device-hours at an assumed MFU, dollars, energy, CO₂e, memory and
Chinchilla context — every figure with the assumption it rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

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
from paretolab.costing.finetune import (
    Finetune,
    finetune_counts,
    finetune_note,
    finetuned_compute,
    trainable_only,
)
from paretolab.costing.flops import flops_6nd as flops_6nd_of
from paretolab.costing.flops import (
    inference_flops_per_token,
    pf_days,
    training_flops_for_tokens,
)
from paretolab.costing.memory import serving_memory, training_memory
from paretolab.costing.params import active_params, non_embedding_params, total_params
from paretolab.costing.pricing import project, with_energy
from paretolab.costing.scaling import chinchilla_context
from paretolab.costing.shape_sources import config_shape as config_shape
from paretolab.costing.shape_sources import shape_from_numbers as shape_from_numbers
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError

DEFAULT_MFU = 0.4  # nanoGPT reaches ≈ 37% on one A100, PaLM 46% (REFERENCES §4)


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


@dataclass(frozen=True)
class EnergyAssumptions:
    """Energy assumptions that replace the catalog's (None: the catalog's)."""

    pue: float | None = None
    tdp_watts: float | None = None
    """Power per device, in watts."""
    grid: str | float | None = None
    """A named grid, or kg CO₂e per kWh."""


def estimate(
    catalog: Catalog,
    shape: ModelShape | None,
    tokens: float,
    hardware: str,
    devices: int = 1,
    mfu: float = DEFAULT_MFU,
    precision: str | None = None,
    pricing: str = "auto",
    params: float | None = None,
    batch: int = 1,
    optimizer: str = "adamw",
    energy: EnergyAssumptions | None = None,
    notes: tuple[str, ...] = (),
    finetune: Finetune | None = None,
) -> Estimate:
    """Everything a training budget costs (``Estimate.to_dict()`` is its JSON form).

    Args:
        catalog: the hardware catalog.
        shape: the model; None: ``params`` alone (6·N·D, no exact count, no memory).
        tokens: training tokens D.
        hardware: catalog entry to run on.
        devices: how many of them, training in data parallel.
        mfu: model FLOPs utilisation assumed (share of peak FLOP/s achieved).
        precision: ``32``, ``bf16-mixed`` or ``16-mixed`` (default: the device's best).
        pricing: ``auto``, ``on_demand``, ``spot`` or ``internal``.
        params: parameter count N; given, time and cost come from 6·N·D (default: counted).
        batch: sequences per device per micro-batch, for activation memory.
        optimizer: for optimiser-state memory.
        energy: PUE, power and grid to use instead of the catalog's.
        notes: more assumptions to list (how the token count was found).
        finetune: fine-tuning a pretrained model (full, frozen layers, LoRA): FLOPs per
            token from ``finetune.training_flops_per_token``; gradients and optimiser
            states only for the trainable parameters.

    Raises:
        UserError: bad numbers or an unknown catalog entry.
    """
    # Named without a CLI flag: the dashboard's cost preview calls this too (the CLI checks
    # its own --tokens and --params first, in cli_support).
    if not _positive(tokens):
        raise UserError(f"the training token count must be a positive number, got {tokens}")
    if params is not None and not _positive(params):
        raise UserError(f"the parameter count must be a positive number, got {params}")
    if shape is None and params is None:
        raise UserError("give the parameter count or the model's architecture")
    if energy is not None:
        catalog = with_energy(catalog, hardware, energy.pue, energy.tdp_watts, energy.grid)
    device = catalog.device(hardware)
    precision = precision or default_precision(device)
    counts = param_counts(shape, params)
    compute = _compute(shape, counts, tokens)
    tuned, ratio = None, 1.0
    if finetune is not None and finetune.method != "full":
        if shape is None:
            raise UserError(f"fine-tuning by {finetune.method} needs the model's architecture")
        tuned = finetune_counts(shape, counts.active, finetune)
        ratio = tuned.flops_per_token / (6.0 * counts.active)
        compute = finetuned_compute(compute, ratio)
    if compute.flops_for_time == "flops_6nd":
        flops = compute.flops_6nd * ratio
    else:
        flops = compute.flops_exact
    projection = project(catalog, flops, hardware, devices, mfu, precision, pricing)
    s = projection.spend
    n = counts.used
    return Estimate(
        params=counts,
        compute=compute,
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
        energy=Energy(s.energy_kwh, s.co2_kg, s.pue, s.tdp_watts, s.grid, s.carbon_kg_per_kwh),
        memory=Memory(
            training=None
            if shape is None
            else trainable_only(
                training_memory(shape, batch, precision=precision, optimizer=optimizer, params=n),
                tuned.trainable / counts.active if tuned else 1.0,
            ),
            serving=None if shape is None else serving_memory(shape, params=n),
            device_memory_gb=device.memory_gb,
        ),
        chinchilla=chinchilla_context(counts.active, tokens),
        finetune=tuned.to_dict(finetune) if tuned and finetune else None,
        assumptions=(
            f"time and cost from {compute.flops_for_time}"
            + (
                f" × {ratio:.3g} (fine-tuning)"
                if tuned and compute.flops_for_time == "flops_6nd"
                else ""
            )
            + (
                " (the per-layer count; backward = 2 × forward)"
                if compute.flops_for_time == "flops_exact"
                else " (6 × active parameters × tokens)"
            ),
            *((counts.note,) if counts.note else ()),
            *notes,
            f"peak {projection.peak_flops:.3g} FLOP/s per device: {projection.peak_source}",
            f"MFU {mfu:.0%} of peak, {devices} device(s) in data parallel, no idle time",
            f"price: {s.price_quote}",
            f"energy: TDP {s.tdp_watts:g} W × PUE {s.pue:g} (an estimate, not a measurement)",
            f"carbon: {s.carbon_kg_per_kwh:g} kg CO2e/kWh ({s.grid})",
            *((finetune_note(finetune, tuned),) if tuned and finetune else ()),
            f"memory: batch {batch} sequence(s) per device, optimizer {optimizer}"
            if shape is not None
            else "memory: needs the architecture (activations depend on it)",
        ),
    )


def param_counts(shape: ModelShape | None, params: float | None) -> ParamCounts:
    """N as given and as counted, and which one time and cost rest on."""
    if shape is None:
        assert params is not None
        note = "params_counted is absent: no architecture was given, only --params"
        return ParamCounts(params, None, None, active=params, source="given", note=note)
    counted, active = total_params(shape), active_params(shape)
    if params is None:
        return ParamCounts(counted, counted, non_embedding_params(shape), active=active)
    note = (
        f"params given ({params:.4g}) beside the architecture's count ({counted:.4g}): "
        "time and cost use the given one"
    )
    # A mixture of experts: the given total keeps the architecture's active share.
    scaled = params * active / counted
    return ParamCounts(
        params, counted, non_embedding_params(shape), active=scaled, source="given", note=note
    )


def _compute(shape: ModelShape | None, counts: ParamCounts, tokens: float) -> Compute:
    """Training and inference FLOPs; 6·N·D uses the active parameters."""
    flops_6nd = flops_6nd_of(counts.active, tokens)
    if shape is None:
        return Compute(
            tokens=tokens,
            flops_6nd=flops_6nd,
            flops_exact=None,
            flops_breakdown=MappingProxyType({}),
            pf_days=pf_days(flops_6nd),
            pf_days_6nd=pf_days(flops_6nd),
            inference_flops_per_token=2.0 * counts.active,
            flops_for_time="flops_6nd",
        )
    breakdown = training_flops_for_tokens(shape, tokens)
    exact = sum(breakdown.values())
    return Compute(
        tokens=tokens,
        flops_6nd=flops_6nd,
        flops_exact=exact,
        flops_breakdown=MappingProxyType(breakdown),
        pf_days=pf_days(exact),
        pf_days_6nd=pf_days(flops_6nd),
        inference_flops_per_token=inference_flops_per_token(shape),
        flops_for_time="flops_exact" if counts.source == "counted" else "flops_6nd",
    )
