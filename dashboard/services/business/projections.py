"""What a better model, or an answer from one, would cost: scaling fits and serving.

- ``scaling``: fit a metric against training FLOPs over a split's runs (shares such as
  accuracy are fitted as 1 − share), ``project_target`` turns a target into FLOPs, hours and
  dollars with the fit's 10–90% interval, ``describe_projection`` says it in a sentence;
- ``chinchilla_table``: each run's tokens per parameter against Chinchilla's ~20;
- ``serving``: dollars per million tokens and per thousand requests for a run's model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from dashboard.services.business.costs import run_cost
from dashboard.services.common import store
from paretolab.config.io import parse_config
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import default_precision
from paretolab.costing.frontier import higher_is_better, is_fraction
from paretolab.costing.pricing import project
from paretolab.costing.scaling import chinchilla_context, compute_for_target, fit_power_law
from paretolab.costing.serving import (
    ServingCost,
    measured_usd_per_million_requests,
    serving_cost,
)
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError
from paretolab.number_format import format_usd
from paretolab.store.serving_results import ServingResults


def scaling(frame: pd.DataFrame, metric: str) -> dict[str, Any]:
    """Fit the metric (as a loss: 1 − value for shares like accuracy) against training FLOPs.

    Raises:
        UserError: fewer than three runs with FLOPs and the metric.
    """
    if "flops_estimated" not in frame or metric not in frame:
        raise UserError(f"no runs with both training FLOPs and {metric}")
    data = frame.dropna(subset=["flops_estimated", metric])
    y = data[metric].to_numpy(dtype=float)
    as_loss = higher_is_better(metric)
    if as_loss and not is_fraction(metric):
        raise UserError(f"{metric} grows with quality and is not a share: fit a loss instead")
    loss = 1.0 - y if as_loss else y
    fit = fit_power_law(data["flops_estimated"].to_numpy(dtype=float), loss)
    return {
        "fit": fit,
        "compute": data["flops_estimated"].to_numpy(dtype=float),
        "loss": loss,
        "names": data["name"].tolist(),
        "fitted_as": f"1 − {metric}" if as_loss else metric,
        "metric": metric,
    }


def project_target(
    fitted: dict[str, Any], target: float, hardware: str, devices: int, mfu: float
) -> dict[str, Any]:
    """Compute, time and dollars to reach ``target`` (in the metric's own units), with the
    fit's 10–90% interval."""
    metric = fitted["metric"]
    as_loss = higher_is_better(metric)
    needed = compute_for_target(fitted["fit"], 1.0 - target if as_loss else target)
    catalog = load_catalog()
    precision = default_precision(catalog.device(hardware))
    out: dict[str, Any] = {"target": target, "reachable_share": needed.reachable_share}
    for label, flops in (
        ("", needed.flops),
        ("_low", needed.flops_low),
        ("_high", needed.flops_high),
    ):
        if flops is None or not math.isfinite(flops):
            out |= {f"flops{label}": None, f"hours{label}": None, f"usd{label}": None}
            continue
        p = project(catalog, flops, hardware, devices, mfu, precision)
        out |= {
            f"flops{label}": flops,
            f"hours{label}": p.spend.wall_seconds / 3600,
            f"usd{label}": p.spend.cost_usd,
        }
    out["precision"] = precision
    return out


def chinchilla_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Tokens per parameter of each run against Chinchilla's ~20, with a verdict."""
    rows = []
    for _, r in frame.iterrows():
        tokens = r.get("tokens_real") if pd.notna(r.get("tokens_real")) else r.get("tokens")
        if pd.isna(r.get("params")) or pd.isna(tokens) or not r.get("params"):
            continue
        ctx = chinchilla_context(float(r["params"]), float(tokens))
        rows.append(
            {
                "run": r["name"],
                "params": r["params"],
                "tokens": tokens,
                "tokens_per_param": ctx.tokens_per_param,
                "verdict": ctx.verdict,
            }
        )
    return pd.DataFrame(rows)


def run_shape(run_id: int) -> ModelShape:
    """The model shape of a run: as measured in training (cost.json), else from its config."""
    saved = run_cost(run_id)["assumptions"].get("model_shape")
    if saved:
        saved = {
            **saved,
            "image_shape": tuple(saved["image_shape"]) if saved.get("image_shape") else None,
        }
        return ModelShape(**saved)
    return ModelShape.from_config(parse_config(store().get_run(run_id).config))


def serving(run_id: int, hardware: str, utilisation: float, tokens_per_request: int) -> ServingCost:
    """Dollars per million tokens and per thousand requests for run ``run_id``'s model."""
    catalog = load_catalog()
    precision = default_precision(catalog.device(hardware))
    return serving_cost(
        catalog, run_shape(run_id), hardware, utilisation, tokens_per_request, precision
    )


def measured_serving(run_id: int) -> pd.DataFrame:
    """Measured serving figures of the run's registered versions (``paretolab bench
    serve``), with dollars per million requests at the catalog's price of that device."""
    catalog = load_catalog()
    rows = []
    for ref, r in ServingResults(store().engine).for_run(run_id):
        price = catalog.device("cpu").price() if r.device == "cpu" else None
        rows.append(
            {
                "version": ref,
                "runtime": {"pytorch": "PyTorch (eager)", "onnx": "ONNX Runtime"}[r.runtime],
                "hardware": r.hardware,
                "p50_ms": r.p50_ms,
                "p99_ms": r.p99_ms,
                "requests_per_s": r.throughput_rps,
                "best_batch": r.best_batch,
                "usd_per_million_requests": measured_usd_per_million_requests(
                    price.usd_per_hour, r.throughput_rps
                )
                if price
                else None,
                "price": f"{price.label()}, {price.source}" if price else "no price in the catalog",
            }
        )
    return pd.DataFrame(rows)


def describe_measured(frame: pd.DataFrame) -> str:
    """Measured serving figures (``measured_serving``) in one sentence each."""
    return " ".join(
        f"Measured: {r.version} on {r.runtime}, {r.hardware}: "
        f"{usd(r.usd_per_million_requests)} per million requests "
        f"({r.requests_per_s:,.0f} requests/s at batch {r.best_batch}, p50 {r.p50_ms:.2f} ms "
        f"at batch 1; price {r.price})."
        for r in frame.itertuples()
    )


def log_range(values: np.ndarray, upto: float | None = None) -> np.ndarray:
    """Points spread evenly in log space from the smallest value to 10 × the largest, or to
    ``upto`` (e.g. a projection) if further — at most 10,000 × the largest."""
    lo, top = float(np.min(values)), float(np.max(values))
    hi = min(max(10 * top, 1.5 * (upto or 0)), 1e4 * top)
    return np.logspace(math.log10(lo), math.log10(hi), 60)


def describe_fit(fitted: dict[str, Any]) -> str:
    """The fit in one sentence."""
    fit = fitted["fit"]
    return f"Fit over {fit.n_points} runs: {fit.describe()} (rms log error {fit.rmse_log:.3f})."


def describe_projection(p: dict[str, Any], metric: str, setup: str) -> str:
    """A projection (``project_target``) in one sentence; ``setup`` names the hardware."""
    if p["flops"] is None:
        return (
            f"{metric} = {p['target']:g} lies beyond the fitted floor: more compute alone is "
            f"not projected to reach it ({p['reachable_share']:.0%} of parameter draws do)."
        )
    return (
        f"{metric} = {p['target']:g} needs about {p['flops']:.3g} FLOPs "
        f"(10–90%: {_span(p, 'flops', '{:.3g}')}): {p['hours']:.3g} h on {setup} "
        f"({_span(p, 'hours', '{:.3g}')} h), costing {usd(p['usd'])} "
        f"({_span(p, 'usd', '${:,.4g}')}); {p['reachable_share']:.0%} of parameter draws reach it."
    )


def describe_serving(result: ServingCost, run: str) -> str:
    """Serving figures (``serving``) in one sentence."""
    fits = "fits" if result.fits_in_memory else "does NOT fit"
    return (
        f"{run} on {result.device_name} at {result.utilisation:.0%} utilisation: "
        f"{usd(result.usd_per_million_tokens)} per million tokens, "
        f"{usd(result.usd_per_thousand_requests)} per 1,000 requests of "
        f"{result.tokens_per_request} tokens; {result.flops_per_token:.3g} FLOPs per "
        f"token; {result.memory_gb:.3g} GB of memory ({fits}); price {result.price_quote}."
    )


def usd(value: float | None) -> str:
    """Dollars for people (``paretolab.number_format``), or why there are none."""
    return format_usd(value) if value is not None else "no price in the catalog"


def _span(p: dict[str, Any], key: str, fmt: str) -> str:
    lo, hi = p.get(f"{key}_low"), p.get(f"{key}_high")
    return f"{fmt.format(lo)}–{fmt.format(hi)}" if lo is not None and hi is not None else "unknown"
