"""Run configs in and out: YAML files and text, ``--set`` overrides, readable errors.

Every problem becomes one line that names the field, the value and what is allowed, e.g.
``model.n_heads=5 must divide model.d_model=128``; unknown keys suggest the closest name.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from paretolab import limits, yaml_safe
from paretolab.config import RunConfig
from paretolab.errors import ConfigError


def parse_config(data: Any, source: str | None = None) -> RunConfig:
    """Validate a plain mapping into a ``RunConfig``.

    Raises:
        ConfigError: one line per problem, each naming the field, the value and what is allowed.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            [f"a run config must be a mapping of sections, got {type(data).__name__}"], source
        )
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(err) for err in exc.errors()], source) from None


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML config file, apply ``a.b=value`` overrides and validate it.

    Raises:
        ConfigError: the file is missing, is not valid YAML, or does not validate.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"config file not found: {path}"]) from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise ConfigError(
            [f"cannot read {path} as UTF-8 text ({exc.__class__.__name__})"]
        ) from None
    data = load_yaml_text(text, str(path), empty_ok=False)
    return parse_config(apply_overrides(data, overrides or []), str(path))


def load_yaml_text(text: str, source: str = "<text>", empty_ok: bool = True) -> dict[str, Any]:
    """Parse YAML text into a mapping (an empty document is an empty mapping where
    ``empty_ok``), with the bounded loader of ``paretolab.yaml_safe``.

    Raises:
        ConfigError: with the line of a syntax error, an alias, a duplicate key; or the
            text is empty (``empty_ok=False``), too large, or not a mapping.
    """
    data = yaml_safe.load(text, source)
    if data is None:
        if empty_ok:
            return {}
        raise ConfigError(
            [
                "the config is empty; write at least one section, e.g. `data: {dataset: bbc_news}`"
                " (see configs/tiny.yaml)"
            ],
            source,
        )
    if not isinstance(data, dict):
        raise ConfigError(
            [f"the top level must be a mapping of sections, got {type(data).__name__}"], source
        )
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``a.b=value`` set (values parsed as YAML).

    Raises:
        ConfigError: an override is not of the form ``key.path=value``.
    """
    result = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            raise ConfigError([f"--set {item!r}: expected KEY.PATH=VALUE, e.g. model.n_layers=4"])
        try:
            value = yaml_safe.load(raw, f"--set {key.strip()}") if raw.strip() else None
        except ConfigError as exc:
            if not _taken_as_text(exc.problems[0], raw):
                raise  # an alias in a list or mapping, or an oversized value: refused
            value = raw
        try:
            set_path(result, key.strip(), value)
        except ConfigError as exc:
            raise ConfigError([f"--set {item!r}: {exc.problems[0]}"]) from None
    return result


def _taken_as_text(problem: str, raw: str) -> bool:
    """Whether a ``--set`` value YAML refused is plain text (``name=*draft``, ``a: b``).

    An alias alone cannot expand into anything, so a value without lists or mappings
    whose only fault is a ``*`` or ``&`` is taken as typed; one that could nest aliases is not.
    """
    if problem.startswith(("YAML syntax error", "YAML error")):
        return True
    return "anchors and aliases" in problem and not any(c in raw for c in "[]{},\n")


def set_path(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``key="a.b"`` in place, making sections on the way.

    Raises:
        ConfigError: a part of the path is a value, not a section.
    """
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError([f"{'.'.join(parts[: i + 1])} is a value, not a section"])
        node = child
    node[parts[-1]] = value


def get_path(data: dict[str, Any], key: str, default: Any = None) -> Any:
    """``data["a"]["b"]`` for ``key="a.b"``, or ``default`` where the path does not exist."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def dump_config(config: RunConfig) -> str:
    """The config as YAML, every field written out (defaults included)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)


def _describe(err: dict[str, Any]) -> str:
    """One readable line for one pydantic error."""
    path = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return _unknown_key(err["loc"])
    if err["type"] in ("value_error", "assertion_error") and isinstance(err.get("input"), dict):
        return msg  # a cross-field rule: its message already names the fields
    if err["type"] == "missing":
        return f"{path}: required field is missing"
    # A value may be megabytes (a pasted file in `notes`): show its start only.
    return f"{path}={limits.quoted(err.get('input'))}: {msg}"


def _unknown_key(loc: tuple[Any, ...]) -> str:
    path = ".".join(str(p) for p in loc)
    section: type[BaseModel] = RunConfig
    for part in loc[:-1]:
        field = section.model_fields.get(str(part))
        inner = section_type(field.annotation) if field else None
        if inner is None:
            return f"{path}: unknown key"
        section = inner
    allowed = list(section.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{path}: unknown key; {hint}allowed keys: {', '.join(allowed)}"


def section_type(annotation: Any) -> type[BaseModel] | None:
    """The config section class behind a field annotation (``X`` or ``X | None``); None for
    a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
