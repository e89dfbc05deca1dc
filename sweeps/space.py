"""The search space: sample a trial's values, turn them into a ``RunConfig``, and back.

Parameters are dotted config fields (``optim.lr``); Optuna sees the same names, so its
figures and optuna-dashboard label them as the config does. A parameter with ``when`` is
sampled only while its condition holds on the config built so far (base, fixed values,
earlier parameters): Optuna's define-by-run way to express conditional search spaces.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from paretolab.config import RunConfig
from paretolab.config.io import get_path, parse_config, set_path
from paretolab.errors import UserError

if TYPE_CHECKING:
    import optuna

    from sweeps.params import Param
    from sweeps.spec import SweepSpec


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
