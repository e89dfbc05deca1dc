"""Scaling: fit loss against compute and project what a target costs; Chinchilla context.

The fit is loss ≈ a·C^(−b) + c over a task's runs (C: training FLOPs), by least squares on
log(loss), so every run weighs the same whatever its loss. With fewer than five runs the
floor c is dropped (loss ≈ a·C^(−b), a straight line in log–log): three parameters need
spare points for an honest uncertainty. The uncertainty of a projection comes from the
fit's parameter covariance: parameters are drawn from it and the compute to reach the
target is computed for each draw; the spread of those answers is the interval shown.
No torch (numpy and scipy, both declared dependencies).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from paretolab.errors import UserError

CHINCHILLA_TOKENS_PER_PARAM = 20.0
# Hoffmann et al. 2022's fitted loss L(N, D) = E + A/N^α + B/D^β (nats per token on their
# data). Epoch AI's replication questions the constants: context, not truth.
CHINCHILLA_LOSS = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
MIN_POINTS_WITH_FLOOR = 5


@dataclass(frozen=True)
class PowerLawFit:
    """loss ≈ a·(C / c_ref)^(−b) + c, with the covariance of (log a, b, c)."""

    log_a: float
    b: float
    c: float
    c_ref: float
    covariance: np.ndarray
    """Covariance of (log a, b[, c]): 2×2 without a floor, 3×3 with one."""
    n_points: int
    rmse_log: float
    """Root-mean-square residual of log(loss)."""

    @property
    def has_floor(self) -> bool:
        return self.covariance.shape == (3, 3)

    def predict(self, compute: np.ndarray | float) -> np.ndarray:
        """Fitted loss at ``compute`` FLOPs."""
        x = np.log(np.asarray(compute, dtype=float) / self.c_ref)
        return np.exp(self.log_a - self.b * x) + self.c

    def describe(self) -> str:
        floor = f" + {self.c:.3g}" if self.has_floor else ""
        a = math.exp(self.log_a) * self.c_ref**self.b
        return f"loss ≈ {a:.3g}·C^(−{self.b:.3f}){floor}"


def fit_power_law(compute: np.ndarray, loss: np.ndarray, floor: bool | None = None) -> PowerLawFit:
    """Fit loss against compute (see the module docstring).

    Args:
        compute: training FLOPs per run (> 0).
        loss: the metric per run, lower is better (> 0).
        floor: fit the irreducible term c; None decides by the number of runs.

    Raises:
        UserError: fewer than three usable runs, or all at the same compute.
    """
    from scipy.optimize import least_squares  # scipy loads in ~1 s: only when fitting

    c_arr, y = np.asarray(compute, dtype=float), np.asarray(loss, dtype=float)
    keep = np.isfinite(c_arr) & np.isfinite(y) & (c_arr > 0) & (y > 0)
    c_arr, y = c_arr[keep], y[keep]
    if len(y) < 3:
        raise UserError(f"a scaling fit needs at least 3 runs with cost and metric, got {len(y)}")
    if np.ptp(np.log(c_arr)) < 1e-9:
        raise UserError("every run used the same compute: vary model size or steps to fit a trend")
    floor = len(y) >= MIN_POINTS_WITH_FLOOR if floor is None else floor
    c_ref = float(np.exp(np.mean(np.log(c_arr))))
    x, log_y = np.log(c_arr / c_ref), np.log(y)

    def residuals(theta: np.ndarray) -> np.ndarray:
        c = theta[2] if floor else 0.0
        return np.log(np.exp(theta[0] - theta[1] * x) + c) - log_y

    slope = -np.polyfit(x, log_y, 1)[0]  # the straight-line fit starts the search
    start = [float(np.mean(log_y)), max(slope, 1e-3)]
    lower, upper = [-np.inf, 0.0], [np.inf, 10.0]
    if floor:
        start, lower, upper = start + [0.5 * y.min()], lower + [0.0], upper + [y.min()]
        start[0] = float(np.log(max(np.exp(np.mean(log_y)) - start[2], 1e-12)))
    result = least_squares(residuals, start, bounds=(lower, upper))
    dof = max(len(y) - len(start), 1)
    s2 = float(result.fun @ result.fun) / dof
    jtj = result.jac.T @ result.jac
    covariance = np.linalg.pinv(jtj) * s2
    theta = result.x
    return PowerLawFit(
        log_a=float(theta[0]),
        b=float(theta[1]),
        c=float(theta[2]) if floor else 0.0,
        c_ref=c_ref,
        covariance=covariance,
        n_points=len(y),
        rmse_log=math.sqrt(float(result.fun @ result.fun) / len(y)),
    )


@dataclass(frozen=True)
class ComputeForTarget:
    """FLOPs to reach a target loss: the fit's answer and its spread over parameter draws."""

    target: float
    flops: float | None
    """From the fitted parameters; None when the target is at or below the fitted floor."""
    flops_low: float | None
    """10th percentile over the draws that reach the target."""
    flops_high: float | None
    """90th percentile over those draws."""
    reachable_share: float
    """Share of parameter draws for which the target is reachable at all."""


def compute_for_target(
    fit: PowerLawFit, target: float, draws: int = 4000, seed: int = 0
) -> ComputeForTarget:
    """Training FLOPs at which the fitted loss reaches ``target``."""
    theta = np.array([fit.log_a, fit.b] + ([fit.c] if fit.has_floor else []))
    rng = np.random.default_rng(seed)
    samples = rng.multivariate_normal(theta, fit.covariance, size=draws, method="eigh")
    needed = _flops_at(fit.c_ref, samples, target)
    ok = needed[np.isfinite(needed)]
    point = _flops_at(fit.c_ref, theta[None, :], target)[0]
    return ComputeForTarget(
        target=target,
        flops=float(point) if np.isfinite(point) else None,
        flops_low=float(np.percentile(ok, 10)) if len(ok) else None,
        flops_high=float(np.percentile(ok, 90)) if len(ok) else None,
        reachable_share=len(ok) / draws,
    )


def _flops_at(c_ref: float, params: np.ndarray, target: float) -> np.ndarray:
    log_a, b = params[:, 0], params[:, 1]
    c = params[:, 2] if params.shape[1] == 3 else np.zeros(len(params))
    gap = target - c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_ratio = (log_a - np.log(gap)) / b  # log(C / c_ref)
        flops = c_ref * np.exp(log_ratio)
    return np.where((gap > 0) & (b > 0), flops, np.nan)


def prediction_band(
    fit: PowerLawFit, compute: np.ndarray, draws: int = 2000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """10th and 90th percentiles of the fitted loss at ``compute``, over parameter draws."""
    theta = np.array([fit.log_a, fit.b] + ([fit.c] if fit.has_floor else []))
    samples = np.random.default_rng(seed).multivariate_normal(
        theta, fit.covariance, size=draws, method="eigh"
    )
    x = np.log(np.asarray(compute, dtype=float) / fit.c_ref)
    c = samples[:, 2:3] if fit.has_floor else 0.0
    curves = np.exp(samples[:, :1] - samples[:, 1:2] * x[None, :]) + c
    return np.percentile(curves, 10, axis=0), np.percentile(curves, 90, axis=0)


@dataclass(frozen=True)
class ChinchillaContext:
    """A training budget against Chinchilla's ~20 tokens per parameter."""

    tokens_per_param: float
    compute_optimal_tokens_per_param: float
    compute_optimal_params: float
    """The parameter count that would spend the same compute compute-optimally."""
    compute_optimal_tokens: float
    verdict: str
    """One line: under-trained, near compute-optimal, or over-trained."""

    def to_dict(self) -> dict[str, float | str]:
        """The JSON form: the fields by name, in order."""
        return asdict(self)


def chinchilla_context(params: float, tokens: float) -> ChinchillaContext:
    """Tokens per parameter against Chinchilla's ~20, and the compute-optimal split of the
    same compute (C ≈ 6·N·D with D = 20·N)."""
    ratio = tokens / params
    compute = 6.0 * params * tokens
    optimal_params = math.sqrt(compute / (6.0 * CHINCHILLA_TOKENS_PER_PARAM))
    if ratio < CHINCHILLA_TOKENS_PER_PARAM / 2:
        verdict = "under-trained: a smaller model on more tokens would use this compute better"
    elif ratio > CHINCHILLA_TOKENS_PER_PARAM * 2:
        verdict = "over-trained for its compute: fine when serving cost matters (smaller model)"
    else:
        verdict = "near compute-optimal"
    return ChinchillaContext(
        tokens_per_param=ratio,
        compute_optimal_tokens_per_param=CHINCHILLA_TOKENS_PER_PARAM,
        compute_optimal_params=optimal_params,
        compute_optimal_tokens=CHINCHILLA_TOKENS_PER_PARAM * optimal_params,
        verdict=verdict,
    )


def chinchilla_loss(params: float, tokens: float) -> float:
    """Hoffmann et al.'s fitted loss for N parameters and D tokens (their data, as context)."""
    k = CHINCHILLA_LOSS
    return k["E"] + k["A"] / params ** k["alpha"] + k["B"] / tokens ** k["beta"]
