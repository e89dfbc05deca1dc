"""The sweep spec: what a sweep searches, what it optimises, and how (pydantic, from YAML).

A spec names a base run config (a file or an inline mapping), fixed overrides for every
trial, the search space (dotted config fields, each a float, int or categorical, optionally
conditional on another field), one or more objectives, a sampler, a pruner, a trial budget
and the worker heartbeat. ``load_spec`` reads and checks it; ``check_spec`` (used by the
dashboard form too) gives one line per problem, naming the field and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from paretolab import limits
from paretolab.config import TASK_VAL_METRICS
from paretolab.config.io import load_config, load_yaml_text, parse_config
from paretolab.errors import ConfigError
from sweeps.param_checks import check_parameters
from sweeps.params import FloatParam, Param, StrictModel

# Objectives that are not logged metrics but measured by the sweep (see sweeps.measures).
MEASURES = ("params", "train_cost")
SAMPLERS = ("tpe", "random", "grid", "cmaes", "gp", "nsga2")
PRUNERS = ("none", "median", "successive_halving", "hyperband")


class Objective(StrictModel):
    metric: str
    """A val metric of the task (its best value during the run, e.g. `val_acc`), `params`
    (parameter count) or `train_cost` (training FLOPs by the cost model)."""
    direction: Literal["minimize", "maximize"]


class SamplerSpec(StrictModel):
    name: Literal["tpe", "random", "grid", "cmaes", "gp", "nsga2"] = "tpe"
    seed: int | None = Field(None, ge=0)
    """Seed of the sampler (the same seed and trials give the same suggestions)."""
    n_startup_trials: int | None = Field(None, ge=0)
    """TPE, GP, CMA-ES: random trials before the model-based search starts (Optuna's default)."""
    population_size: int | None = Field(None, ge=2)
    """NSGA-II: individuals per generation (Optuna's default: 50)."""


class PrunerSpec(StrictModel):
    name: Literal["none", "median", "successive_halving", "hyperband"] = "none"
    n_startup_trials: int = Field(5, ge=0)
    """median: trials that are never pruned, before the median is trusted."""
    n_warmup_steps: int = Field(0, ge=0)
    """median: epochs of a trial that are never pruned."""
    min_resource: int = Field(1, ge=1)
    """successive_halving, hyperband: epochs every trial gets before it can be pruned."""
    max_resource: int | Literal["auto"] = "auto"
    """hyperband: epochs of a full trial (`auto`: those of the first finished trial)."""
    reduction_factor: int = Field(3, ge=2)
    """successive_halving, hyperband: 1/reduction_factor of the trials go on at each rung."""


class SweepSpec(StrictModel):
    """A whole sweep: stored with its Optuna study, so every worker reads the same one."""

    study: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    """The study's name (letters, digits, `_.-`): workers and pages find it by this name."""
    base: dict[str, Any]
    """The base run config every trial starts from (a file path in YAML, resolved on load)."""
    fixed: dict[str, Any] = Field(default_factory=dict)
    """Dotted config fields set the same for every trial, e.g. `trainer.max_epochs: 20`."""
    parameters: dict[str, Param] = Field(min_length=1)
    """The search space: dotted config field → distribution, sampled in this order."""
    objectives: list[Objective] = Field(min_length=1, max_length=4)
    n_trials: int = Field(20, ge=1, le=100_000)
    """Trials to finish (complete, pruned or failed in training); trials of a killed worker
    are retried and do not count, nor do cancelled ones."""
    sampler: SamplerSpec = Field(default_factory=SamplerSpec)
    pruner: PrunerSpec = Field(default_factory=PrunerSpec)
    heartbeat_interval: int = Field(60, ge=1, le=3600)
    """Seconds between a running trial's heartbeats; a trial silent for `grace_period`
    is failed and retried (its worker died)."""
    grace_period: int | None = Field(None, ge=1)
    """Seconds without a heartbeat before a trial counts as dead. Empty: 2 × interval."""
    max_retry: int = Field(2, ge=0, le=10)
    """How often a dead worker's trial is retried."""

    @model_validator(mode="after")
    def _rules(self) -> SweepSpec:
        problems = check_rules(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def directions(self) -> list[str]:
        """Optuna study directions, one per objective."""
        return [o.direction for o in self.objectives]


def check_rules(spec: SweepSpec) -> list[str]:
    """Cross-field problems of a spec, one line each (empty: none)."""
    problems: list[str] = []
    try:
        base = parse_config(spec.base, "base")
    except ConfigError as exc:
        return [f"base: {p}" for p in exc.problems]
    problems += check_parameters(spec.fixed, spec.parameters, base)
    where, tags = (
        ("fixed.tags", spec.fixed["tags"]) if "tags" in spec.fixed else ("base.tags", base.tags)
    )
    if isinstance(tags, list) and len({*tags, f"sweep:{spec.study}"}) > limits.MAX_TAGS:
        problems.append(  # every trial adds that tag
            f"{where}: {len(tags)} tags leave no room for the trials' "
            f"'sweep:{spec.study}' tag (at most {limits.MAX_TAGS}); remove one"
        )
    task_metrics = TASK_VAL_METRICS[base.task]
    for i, objective in enumerate(spec.objectives):
        if objective.metric not in (*task_metrics, *MEASURES):
            problems.append(
                f"objectives[{i}].metric={objective.metric!r} is not a val metric of task "
                f"{base.task!r}; choose one of {', '.join((*task_metrics, *MEASURES))}"
            )
    if len({o.metric for o in spec.objectives}) < len(spec.objectives):
        problems.append("objectives: each metric may appear once")
    several = len(spec.objectives) > 1
    if spec.pruner.name != "none":
        if several:
            problems.append(
                f"pruner.name={spec.pruner.name!r}: Optuna prunes single-objective studies "
                "only; use pruner.name=none with several objectives"
            )
        elif spec.objectives[0].metric not in task_metrics:
            problems.append(
                f"pruner.name={spec.pruner.name!r}: the pruner watches the objective's val "
                f"metric every epoch, and {spec.objectives[0].metric!r} is not one; use "
                "pruner.name=none"
            )
    if spec.sampler.name == "cmaes" and several:
        problems.append("sampler.name='cmaes' optimises one objective; use nsga2 or tpe")
    if spec.sampler.name == "grid":
        for path, param in spec.parameters.items():
            if param.when:
                problems.append(f"parameters.{path}: the grid sampler takes no conditions")
            if isinstance(param, FloatParam) and param.step is None:
                problems.append(
                    f"parameters.{path}: the grid sampler needs a step for a float "
                    "(or make it categorical)"
                )
    return problems


def parse_spec(data: Any, source: str = "sweep spec", base_dir: Path | None = None) -> SweepSpec:
    """Validate a mapping into a ``SweepSpec``; a string ``base`` is a config file path,
    relative to ``base_dir``.

    Raises:
        ConfigError: one line per problem.
    """
    if not isinstance(data, dict):
        raise ConfigError([f"a sweep spec is a mapping, got {type(data).__name__}"], source)
    data = dict(data)
    if isinstance(data.get("base"), str):
        path = Path(data["base"])
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        data["base"] = load_config(path).model_dump(mode="json")
    elif isinstance(data.get("base"), dict):
        data["base"] = parse_config(data["base"], f"{source}: base").model_dump(mode="json")
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        problems = [line for err in exc.errors() for line in _describe(err).splitlines()]
        raise ConfigError(problems, source) from None


def load_spec(path: str | Path, study: str | None = None) -> SweepSpec:
    """Read a sweep spec YAML file (the study name defaults to the file's stem).

    Raises:
        ConfigError: the file is missing, not YAML, or the spec does not validate.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise ConfigError([f"sweep spec not found: {path}"]) from None
    data = load_yaml_text(text, str(path))
    if study:
        data["study"] = study
    data.setdefault("study", path.stem)
    return parse_spec(data, str(path), path.parent)


def _describe(err: dict[str, Any]) -> str:
    # Parameters are a tagged union: drop the tag from the location (`parameters.x.float.low`).
    loc = [str(p) for p in err["loc"] if p not in ("float", "int", "categorical")]
    path = ".".join(loc)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    if err["type"] == "missing":
        return f"{path}: required field is missing"
    if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
        return f"{path}: type must be float, int or categorical"
    if not loc:
        return msg
    return f"{path}={limits.quoted(err.get('input'))}: {msg}"
