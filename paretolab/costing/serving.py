"""What serving a model costs: dollars per million tokens and per thousand requests. No torch.

A device serves ``peak × utilisation ÷ FLOPs per token`` tokens a second (FLOPs per token:
``flops.inference_flops_per_token``, ≈ 2N plus attention over the context). Utilisation is
the share of peak a deployment keeps busy: batching raises it; token-by-token decoding,
which waits on memory more than on arithmetic, keeps it low. A request costs its prompt and
its output tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from paretolab.costing.catalog import PRECISION_DTYPES, Catalog
from paretolab.costing.flops import inference_flops_per_token
from paretolab.costing.memory import serving_memory
from paretolab.costing.peaks import required_peak
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError


@dataclass(frozen=True)
class ServingCost:
    """Throughput and cost of serving a model on one device."""

    hardware: str
    """The catalog entry."""
    device_name: str
    flops_per_token: float
    tokens_per_sec: float
    usd_per_million_tokens: float | None
    """None when the catalog has no price for the entry (likewise per thousand requests)."""
    usd_per_thousand_requests: float | None
    tokens_per_request: int
    utilisation: float
    """Share of peak the deployment keeps busy."""
    peak_flops: float
    peak_source: str
    price_quote: str
    memory_gb: float
    """Weights (× 1.2 overhead) and the KV cache of one sequence."""
    fits_in_memory: bool


def serving_cost(
    catalog: Catalog,
    shape: ModelShape,
    hardware: str,
    utilisation: float = 0.3,
    tokens_per_request: int = 500,
    precision: str = "bf16-mixed",
    pricing: str = "auto",
    context: int | None = None,
) -> ServingCost:
    """Throughput and cost of serving ``shape`` on one ``hardware`` device.

    Raises:
        UserError: utilisation outside (0, 1], a non-positive request size, an unknown
            entry, or no peak for the dtype.
    """
    if not 0 < utilisation <= 1:
        raise UserError(f"utilisation must be in (0, 1], got {utilisation}")
    if tokens_per_request < 1:
        raise UserError(f"tokens per request must be at least 1, got {tokens_per_request}")
    device, peak, source = required_peak(catalog, hardware, precision)
    per_token = inference_flops_per_token(shape, context)
    tokens_per_sec = peak * utilisation / per_token
    price = device.price(pricing)
    per_million = price.usd_per_hour / (tokens_per_sec * 3600) * 1e6 if price else None
    dtype = PRECISION_DTYPES.get(precision, precision)
    memory = serving_memory(shape, context=context, dtype=dtype if dtype != "tf32" else "fp32")
    return ServingCost(
        hardware=hardware,
        device_name=device.name,
        flops_per_token=per_token,
        tokens_per_sec=tokens_per_sec,
        usd_per_million_tokens=per_million,
        usd_per_thousand_requests=(
            per_million * tokens_per_request / 1000 if per_million is not None else None
        ),
        tokens_per_request=tokens_per_request,
        utilisation=utilisation,
        peak_flops=peak,
        peak_source=source,
        price_quote=f"{price.label()}, {price.source}" if price else "no price in the catalog",
        memory_gb=memory.total_gb,
        fits_in_memory=device.memory_gb is None or memory.total_gb <= device.memory_gb,
    )


def measured_usd_per_million_requests(usd_per_hour: float, requests_per_sec: float) -> float:
    """Dollars per million requests at a measured throughput on a device rented at
    ``usd_per_hour`` (``paretolab bench serve``: no FLOP model, no utilisation guess)."""
    if requests_per_sec <= 0:
        raise UserError(f"a measured throughput must be positive, got {requests_per_sec}")
    return usd_per_hour / (requests_per_sec * 3600) * 1e6
