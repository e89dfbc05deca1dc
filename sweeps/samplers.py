"""Optuna samplers and pruners from a sweep spec.

Samplers and pruners live in each worker's process (Optuna stores neither); every worker
builds the same ones from the spec stored with the study.
"""

from __future__ import annotations

import optuna

from sweeps.space import grid
from sweeps.spec import SweepSpec


def make_sampler(spec: SweepSpec, seed_offset: int = 0) -> optuna.samplers.BaseSampler:
    """The spec's sampler: TPE (default), random, grid, CMA-ES, GP or NSGA-II.

    With a seed, each worker adds its own ``seed_offset``: samplers with equal seeds in
    parallel workers would suggest the same values (the first worker of a new sweep has
    offset 0, so one worker reproduces a seeded sweep exactly).
    """
    s = spec.sampler.model_copy()
    if s.seed is not None:
        s.seed += seed_offset
    startup = {} if s.n_startup_trials is None else {"n_startup_trials": s.n_startup_trials}
    if s.name == "tpe":
        # constant_liar: parallel workers do not all sample next to the same running trial.
        multivariate = {"multivariate": True, "group": True} if _conditional(spec) else {}
        return optuna.samplers.TPESampler(
            seed=s.seed, constant_liar=True, **startup, **multivariate
        )
    if s.name == "random":
        return optuna.samplers.RandomSampler(seed=s.seed)
    if s.name == "grid":
        return optuna.samplers.GridSampler(grid(spec), seed=s.seed)
    if s.name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=s.seed, **startup)
    if s.name == "gp":
        return optuna.samplers.GPSampler(seed=s.seed, **startup)
    population = {} if s.population_size is None else {"population_size": s.population_size}
    return optuna.samplers.NSGAIISampler(seed=s.seed, **population)


def _conditional(spec: SweepSpec) -> bool:
    return any(p.when for p in spec.parameters.values())


def make_pruner(spec: SweepSpec) -> optuna.pruners.BasePruner:
    """The spec's pruner; its steps are epochs (the pruning callback reports once per epoch)."""
    p = spec.pruner
    if p.name == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=p.n_startup_trials, n_warmup_steps=p.n_warmup_steps
        )
    if p.name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=p.min_resource, reduction_factor=p.reduction_factor
        )
    if p.name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=p.min_resource,
            max_resource=p.max_resource,
            reduction_factor=p.reduction_factor,
        )
    return optuna.pruners.NopPruner()
