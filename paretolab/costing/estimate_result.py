"""What ``estimate()`` returns: one training budget's figures, grouped, and its JSON form.

Callers read attributes (``found.cost.cost_usd``); ``Estimate.to_dict()`` is the one place
that names the JSON keys of ``paretolab cost estimate`` (JSON), a flat document whose only
nested parts are ``flops_breakdown``, ``memory`` and ``chinchilla``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paretolab.costing.memory import ServingMemory, TrainingMemory
from paretolab.costing.scaling import ChinchillaContext


@dataclass(frozen=True)
class ParamCounts:
    """The parameter count N, as used and as counted from the shape."""

    used: float
    """Total N behind memory and (for a dense model) 6·N·D: the one given, else counted."""
    counted: int | None
    """Counted from the shape, embeddings and head included; None without an architecture."""
    non_embedding: int | None
    """Counted, without the embeddings (Kaplan et al.'s N); None without an architecture."""
    active: float = 0.0
    """Parameters one token passes through (a mixture of experts' routed share); training
    FLOPs use these. Equal to ``used`` for a dense model."""
    source: str = "counted"
    """Which N time and cost rest on: ``counted`` from the architecture, or ``given``."""
    note: str = ""
    """Why the count is what it is: absent (no architecture), or given beside a count."""


@dataclass(frozen=True)
class Compute:
    """Training and inference FLOPs for the token budget."""

    tokens: float
    """Training tokens D."""
    flops_6nd: float
    """6·N·D, the usual rule of thumb."""
    flops_exact: float | None
    """The per-layer count (backward = 2 × forward); None without an architecture."""
    flops_breakdown: Mapping[str, float]
    """``flops_exact`` by part (embeddings, qkv, …, logits)."""
    pf_days: float
    """``flops_exact`` in petaFLOP/s-days."""
    pf_days_6nd: float
    """``flops_6nd`` in petaFLOP/s-days."""
    inference_flops_per_token: float
    """Forward FLOPs per generated or classified token."""
    flops_for_time: str = "flops_exact"
    """The FLOP figure time and cost are taken from: ``flops_exact``, or ``flops_6nd`` when
    no architecture was given or ``--params`` overrides the count."""


@dataclass(frozen=True)
class Hardware:
    """What the budget runs on, and how well it is assumed to use it."""

    entry: str
    """The catalog entry (JSON: ``hardware``)."""
    device_name: str
    devices: int
    """How many devices, training in data parallel."""
    precision: str
    """``32``, ``bf16-mixed`` or ``16-mixed``."""
    dtype: str
    """The dtype whose peak is used (``fp32``, ``bf16``, …)."""
    peak_flops: float
    """Peak FLOP/s of one device at ``dtype``."""
    mfu: float
    """Model FLOPs utilisation assumed: the share of peak achieved."""


@dataclass(frozen=True)
class Cost:
    """Time and money."""

    wall_hours: float
    device_hours: float
    cost_usd: float | None
    """None when the catalog has no price for the entry."""
    usd_per_device_hour: float | None


@dataclass(frozen=True)
class Energy:
    """Energy from TDP × PUE (an estimate, not a measurement), and its carbon."""

    energy_kwh: float
    co2_kg: float
    pue: float = 1.0
    tdp_watts: float = 0.0
    """Power per device."""
    grid: str = ""
    """The grid's name (``given`` for a number passed with ``--grid``)."""
    carbon_kg_per_kwh: float = 0.0


@dataclass(frozen=True)
class Memory:
    """Memory to train (per device) and to serve, beside what the device has."""

    training: TrainingMemory | None
    """None without an architecture (activations depend on it)."""
    serving: ServingMemory | None
    device_memory_gb: float | None
    """None when the catalog does not say."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``memory``."""
        return {
            "training": self.training.to_dict() if self.training else None,
            "serving": self.serving.to_dict() if self.serving else None,
            "device_memory_gb": self.device_memory_gb,
        }


@dataclass(frozen=True)
class Estimate:
    """Everything a training budget costs, every figure with the assumption it rests on."""

    params: ParamCounts
    compute: Compute
    hardware: Hardware
    cost: Cost
    energy: Energy
    memory: Memory
    chinchilla: ChinchillaContext
    assumptions: tuple[str, ...]
    """One line per assumption, for people."""
    finetune: Mapping[str, Any] | None = None
    """Fine-tuning's counts and FLOPs per token (None: training every weight)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``paretolab cost estimate`` (keys in this order)."""
        p, c, h = self.params, self.compute, self.hardware
        return {
            "params": p.used,
            "params_active": p.active,
            "params_counted": p.counted,
            "params_non_embedding": p.non_embedding,
            "params_source": p.source,
            "params_note": p.note,
            "tokens": c.tokens,
            "flops_6nd": c.flops_6nd,
            "flops_exact": c.flops_exact,
            "flops_breakdown": dict(c.flops_breakdown),
            "pf_days": c.pf_days,
            "pf_days_6nd": c.pf_days_6nd,
            "inference_flops_per_token": c.inference_flops_per_token,
            "flops_for_time": c.flops_for_time,
            "hardware": h.entry,
            "device_name": h.device_name,
            "devices": h.devices,
            "precision": h.precision,
            "dtype": h.dtype,
            "peak_flops": h.peak_flops,
            "mfu": h.mfu,
            "wall_hours": self.cost.wall_hours,
            "device_hours": self.cost.device_hours,
            "cost_usd": self.cost.cost_usd,
            "usd_per_device_hour": self.cost.usd_per_device_hour,
            "energy_kwh": self.energy.energy_kwh,
            "co2_kg": self.energy.co2_kg,
            "pue": self.energy.pue,
            "tdp_watts": self.energy.tdp_watts,
            "grid": self.energy.grid,
            "carbon_kg_per_kwh": self.energy.carbon_kg_per_kwh,
            "memory": self.memory.to_dict(),
            "chinchilla": self.chinchilla.to_dict(),
            "finetune": dict(self.finetune) if self.finetune else None,
            "assumptions": list(self.assumptions),
        }
