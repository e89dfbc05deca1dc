"""Checks of a sweep's fixed fields and parameters against the run config, one line each.

The spec runs them while it validates (``sweeps.spec.check_rules``): a parameter that
names no field, an empty range or a value the field refuses is found before any trial.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from paretolab.config import RunConfig
from paretolab.config.io import parse_config, section_type, set_path
from paretolab.errors import ConfigError
from sweeps.params import Param

# A trial trains in its worker's own process: DDP would start more copies of the worker.
ONE_PROCESS = (
    "a sweep trial trains in its worker's process, on one device: keep hardware.devices=1 "
    "and hardware.num_nodes=1 (start more workers to use more devices)"
)


def check_parameters(
    fixed: dict[str, Any], parameters: dict[str, Param], base: RunConfig
) -> list[str]:
    """Problems of the fixed fields and parameters, one line each: unknown fields, empty
    ranges, values a field refuses, conditions on unknown or later fields."""
    problems = [f"fixed.{p}: {msg}" for p in fixed if (msg := unknown_field(p))]
    data = base.model_dump(mode="json")
    for path, value in fixed.items():
        if not unknown_field(path):
            set_path(data, path, value)
    try:
        fixed = parse_config(data)
    except ConfigError as exc:
        return problems + [f"base with fixed: {p}" for p in exc.problems]
    if fixed.hardware.world_size() > 1:
        problems.append(f"base with fixed: {ONE_PROCESS}")
    earlier: list[str] = []
    for path, param in parameters.items():
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
            if key in parameters and key not in earlier:
                problems.append(f"{where}: when.{key} must name a parameter listed before it")
            elif key not in parameters and (msg := unknown_field(key)):
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
