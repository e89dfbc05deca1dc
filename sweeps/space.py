"""The search space: sample a trial's values, turn them into a ``RunConfig``, and back.

Parameters are dotted config fields (``optim.lr``); Optuna sees the same names, so its
figures and optuna-dashboard label them as the config does. A parameter with ``when`` is
sampled only while its condition holds on the config built so far (base, fixed values,
earlier parameters): Optuna's define-by-run way to express conditional search spaces.
"""

from __future__ import annotations

import copy
import difflib
import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from paretolab.config import RunConfig
from paretolab.config.io import get_path, parse_config, section_type, set_path
from paretolab.errors import ConfigError, UserError

if TYPE_CHECKING:
    import optuna

    from sweeps.spec import Param, SweepSpec


def base_with_fixed(spec: SweepSpec) -> dict[str, Any]:
    """The base config with the spec's fixed fields set (a fresh copy)."""
    data = copy.deepcopy(spec.base)
    for path, value in spec.fixed.items():
        set_path(data, path, value)
    return data


def suggest(trial: optuna.Trial, spec: SweepSpec) -> dict[str, Any]:
    """Sample the trial's values, in the spec's order, skipping parameters whose ``when``
    does not hold. Returns dotted field → value."""
    resolved = base_with_fixed(spec)
    values: dict[str, Any] = {}
    for path, param in spec.parameters.items():
        if not condition_holds(param, resolved):
            continue
        if param.type == "float":
            value: Any = trial.suggest_float(
                path, param.low, param.high, log=param.log, step=param.step
            )
        elif param.type == "int":
            value = trial.suggest_int(path, param.low, param.high, step=param.step, log=param.log)
        else:
            value = trial.suggest_categorical(path, param.choices)
        set_path(resolved, path, value)
        values[path] = value
    return values


def condition_holds(param: Param, resolved: dict[str, Any]) -> bool:
    """True when the parameter has no ``when`` or every named field has an allowed value."""
    for key, allowed in (param.when or {}).items():
        options = allowed if isinstance(allowed, list) else [allowed]
        if get_path(resolved, key) not in options:
            return False
    return True


def trial_config(spec: SweepSpec, values: dict[str, Any], name: str | None = None) -> RunConfig:
    """The run config of a trial: base, fixed fields, then the sampled values.

    Raises:
        ConfigError: the combination does not validate (e.g. ``n_heads`` not dividing
            ``d_model``); the message names the fields.
    """
    data = base_with_fixed(spec)
    for path, value in values.items():
        set_path(data, path, value)
    if name:
        data["name"] = name
    data["tags"] = sorted({*data.get("tags", []), f"sweep:{spec.study}"})
    return parse_config(data, f"trial of {spec.study}")


def params_from_config(spec: SweepSpec, config: dict[str, Any]) -> dict[str, Any]:
    """The search-space values an existing run's config holds (to enqueue it as a trial).

    Raises:
        UserError: a value lies outside the space; the message names field, value and range.
    """
    values: dict[str, Any] = {}
    for path, param in spec.parameters.items():
        if not condition_holds(param, config):
            continue
        value = get_path(config, path)
        problem = _outside(param, value)
        if problem:
            raise UserError(f"{path}={value!r} is outside the search space ({problem})")
        values[path] = value
    return values


def _outside(param: Param, value: Any) -> str | None:
    if param.type == "categorical":
        return None if value in param.choices else f"choices: {param.choices}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"a number from {param.low} to {param.high}"
    if not param.low <= value <= param.high:
        return f"from {param.low} to {param.high}"
    if param.type == "int" and (value != int(value) or (value - param.low) % param.step):
        return f"integers from {param.low} in steps of {param.step}"
    if param.type == "float" and param.step:
        ratio = (value - param.low) / param.step
        if not math.isclose(ratio, round(ratio), abs_tol=1e-8):
            return f"multiples of {param.step} from {param.low}"
    return None


def grid(spec: SweepSpec) -> dict[str, list[Any]]:
    """Every value of every parameter, for Optuna's grid sampler (no conditions, stepped)."""
    points: dict[str, list[Any]] = {}
    for path, param in spec.parameters.items():
        if param.type == "categorical":
            points[path] = list(param.choices)
        elif param.type == "int":
            points[path] = list(range(param.low, param.high + 1, param.step))
        else:
            count = int(math.floor((param.high - param.low) / param.step + 1e-9)) + 1
            points[path] = [round(param.low + i * param.step, 12) for i in range(count)]
    return points


def grid_size(spec: SweepSpec) -> int:
    """How many points the grid has."""
    return math.prod(len(v) for v in grid(spec).values())


# ------------------------------------------------------------------ checks


# A trial trains in its worker's own process: DDP would start more copies of the worker.
ONE_PROCESS = (
    "a sweep trial trains in its worker's process, on one device: keep hardware.devices=1 "
    "and hardware.num_nodes=1 (start more workers to use more devices)"
)


def check_parameters(spec: SweepSpec, base: RunConfig) -> list[str]:
    """Problems of the fixed fields and parameters, one line each: unknown fields, empty
    ranges, values a field refuses, conditions on unknown or later fields."""
    problems = [f"fixed.{p}: {msg}" for p in spec.fixed if (msg := unknown_field(p))]
    data = base.model_dump(mode="json")
    for path, value in spec.fixed.items():
        if not unknown_field(path):
            set_path(data, path, value)
    try:
        fixed = parse_config(data)
    except ConfigError as exc:
        return problems + [f"base with fixed: {p}" for p in exc.problems]
    if fixed.hardware.world_size() > 1:
        problems.append(f"base with fixed: {ONE_PROCESS}")
    earlier: list[str] = []
    for path, param in spec.parameters.items():
        where = f"parameters.{path}"
        msg = unknown_field(path)
        if msg:
            problems.append(f"{where}: {msg}")
            continue
        if path in ("hardware.devices", "hardware.num_nodes", "hardware.strategy"):
            problems.append(f"{where}: {ONE_PROCESS}")
            continue
        problems += [f"{where}: {p}" for p in _range_problems(param)]
        for value in _probe_values(param):
            refusal = _field_refuses(data, path, value)
            if refusal:
                problems.append(f"{where}: {value!r} does not fit the config: {refusal}")
        for key in param.when or {}:
            if key in spec.parameters and key not in earlier:
                problems.append(f"{where}: when.{key} must name a parameter listed before it")
            elif key not in spec.parameters and (msg := unknown_field(key)):
                problems.append(f"{where}: when.{key}: {msg}")
        earlier.append(path)
    return problems


def _range_problems(param: Param) -> list[str]:
    if param.type == "categorical":
        unique = {repr(c) for c in param.choices}
        return [] if len(unique) == len(param.choices) else ["choices repeat a value"]
    problems = []
    if param.low > param.high:
        problems.append(f"empty range: low={param.low} > high={param.high}")
    elif param.low == param.high:
        problems.append(f"low = high = {param.low} is one value: put it under `fixed`")
    elif param.step and param.step > param.high - param.low:
        problems.append(
            f"step={param.step} is larger than the range {param.low}..{param.high}, so only "
            f"{param.low} is sampled; use a step of at most {param.high - param.low}"
        )
    if param.log and param.low <= 0:
        problems.append(f"log scale needs low > 0, got low={param.low}")
    if param.log and (
        param.type == "float" and param.step or param.type == "int" and param.step > 1
    ):
        problems.append("log and step exclude each other (Optuna samples one or the other)")
    return problems


def _probe_values(param: Param) -> list[Any]:
    return list(param.choices) if param.type == "categorical" else [param.low, param.high]


def _field_refuses(data: dict[str, Any], path: str, value: Any) -> str | None:
    """The field's own complaint about ``value`` (cross-field rules are judged per trial)."""
    trial = copy.deepcopy(data)
    set_path(trial, path, value)
    try:
        RunConfig.model_validate(trial)
    except ValidationError as exc:
        loc = tuple(path.split("."))
        for err in exc.errors():
            if tuple(str(p) for p in err["loc"]) == loc:
                return err["msg"].removeprefix("Value error, ")
    return None


def unknown_field(path: str) -> str | None:
    """Why ``path`` is not a settable config field (None when it is one)."""
    section: type[BaseModel] = RunConfig
    parts = path.split(".")
    for i, part in enumerate(parts):
        field = section.model_fields.get(part)
        if field is None:
            allowed = list(section.model_fields)
            close = difflib.get_close_matches(part, allowed, n=1)
            hint = f"did you mean '{'.'.join([*parts[:i], close[0]])}'? " if close else ""
            where = ".".join(parts[:i]) or "the config"
            return f"unknown field; {hint}{where} has: {', '.join(allowed)}"
        inner = section_type(field.annotation)
        if i == len(parts) - 1:
            return f"{path} is a section; name one of its fields" if inner else None
        if inner is None:
            return f"{'.'.join(parts[: i + 1])} is a value, not a section"
        section = inner
    return None
