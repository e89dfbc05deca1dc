"""A run-config form generated from the schema: one widget per field, grouped by section.

Widget type, range and help text come from the pydantic field (annotation, ``ge``/``le``,
docstring), so a new config field appears in the form with no page change.
"""

from __future__ import annotations

import math
import re
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import streamlit as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dashboard.components import pretrained_form
from paretolab.config import ModelConfig, RunConfig
from paretolab.config.base import choices_of
from paretolab.config.pretrained import PRETRAINED_FAMILY, PretrainedFields

# Sections shown as tabs, in this order; top-level scalars go under "run".
SECTIONS = (
    "run",
    "data",
    "clean",
    "augment",
    "tokenizer",
    "model",
    "optim",
    "trainer",
    "hardware",
    "monitoring",
    "generate",
    "wandb",
)
_PATH_IN_MESSAGE = re.compile(r"^([A-Za-z_][\w.]*)(?:=|:)")


def problem_path(problem: str) -> str:
    """The field a validation message is about (messages start with ``path=`` or ``path:``)."""
    match = _PATH_IN_MESSAGE.match(problem)
    return match.group(1) if match else ""


def render_config_form(
    base: dict[str, Any],
    key: str,
    problems: list[str],
    limits: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Draw the form filled with ``base`` and return what the user entered (not validated).

    Args:
        base: a valid config as a plain dict (a preset, a cloned run, uploaded YAML).
        key: widget-key prefix; change it to reset every widget to ``base``.
        problems: validation messages from the last attempt, shown beside their fields.
        limits: what this machine allows, by field path: a list narrows a choice's options
            (``trainer.precision``), a number caps a count (``hardware.devices``).
    """
    by_path: dict[str, list[str]] = {}
    for problem in problems:
        by_path.setdefault(problem_path(problem), []).append(problem)
    form = _Form(key, by_path, limits or {})
    values: dict[str, Any] = {}
    pretrained = pretrained_form.is_pretrained(base, key)
    tabs = st.tabs(list(SECTIONS))
    for tab, section in zip(tabs, SECTIONS, strict=True):
        with tab:
            if section == "run":
                for name, field in RunConfig.model_fields.items():
                    if _section_class(field.annotation) is None:
                        values[name] = _widget(name, field, base.get(name), form)
            elif section == "tokenizer" and pretrained:  # validation refuses the section
                st.caption(
                    "A pretrained model brings its own tokenizer from its checkpoint's folder; "
                    "this section does not apply."
                )
            elif section == "model":
                values[section] = _render_model(base.get(section) or {}, form)
            else:
                field = RunConfig.model_fields[section]
                values[section] = _render_section(
                    section, _section_class(field.annotation), base.get(section) or {}, form
                )
    for message in form.by_path.get("", []):
        st.error(message)
    return values


@dataclass(frozen=True)
class _Form:
    key: str  # widget-key prefix
    by_path: dict[str, list[str]]  # validation messages by field path
    limits: dict[str, Any]  # see render_config_form


def _render_section(
    path: str, cls: type[BaseModel], base: dict[str, Any], form: _Form
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        sub = f"{path}.{name}"
        inner = _section_class(field.annotation)
        if inner is not None:  # an optional sub-section, e.g. trainer.early_stopping
            enabled = st.checkbox(
                f"{name.replace('_', ' ')}",
                value=base.get(name) is not None,
                key=f"{form.key}.{sub}.enabled",
                help=field.description,
            )
            if enabled:
                with st.container(border=True):
                    out[name] = _render_section(sub, inner, base.get(name) or {}, form)
            else:
                out[name] = None
            continue
        out[name] = _widget(
            sub, field, base.get(name, field.get_default(call_default_factory=True)), form
        )
    for message in form.by_path.get(path, []):
        st.error(message)
    return out


def _render_model(base: dict[str, Any], form: _Form) -> dict[str, Any]:
    """The model tab: a from-scratch family's shape, or a pretrained checkpoint's picker
    (fields the family does not read are left out, so they keep their defaults)."""
    fields = ModelConfig.model_fields

    def widget(name: str, value: Any) -> Any:
        return _widget(f"model.{name}", fields[name], value, form)

    def section(name: str, sub: dict[str, Any]) -> dict[str, Any]:
        return _render_section(f"model.{name}", _section_class(fields[name].annotation), sub, form)

    family = widget("family", base.get("family", fields["family"].default))
    out: dict[str, Any] = {"family": family}
    pretrained = family == PRETRAINED_FAMILY
    if pretrained:
        out.update(pretrained_form.render_pretrained(base, form.key, widget, section))
    for name in pretrained_form.model_fields_for(pretrained, list(fields)):
        if name in out or name in PretrainedFields.model_fields:
            continue
        if _section_class(fields[name].annotation) is not None:
            out[name] = section(name, base.get(name) or {})
        else:
            out[name] = widget(name, base.get(name, fields[name].get_default()))
    for message in form.by_path.get("model", []):
        st.error(message)
    return out


def _widget(path: str, field: FieldInfo, value: Any, form: _Form) -> Any:
    label, wkey, help_text = path.rsplit(".", 1)[-1], f"{form.key}.{path}", field.description
    annotation, optional = _strip_optional(field.annotation)
    lo, hi = _bounds(field)
    limit = form.limits.get(path)
    if isinstance(limit, int) and limit >= (lo or 0):
        hi = limit if hi is None else min(hi, limit)
        if value is not None and value > hi:
            st.caption(f"{value} is more than this machine has; showing {hi}.")
            value = hi
    choices = choices_of(field)  # a registry's names (task, data.dataset), or a Literal's
    if choices is not None or get_origin(annotation) is Literal:
        options = list(choices if choices is not None else get_args(annotation))
        if isinstance(limit, list):
            options = [o for o in options if o in limit]
            if value not in options:
                st.caption(f"`{value}` cannot be used on this machine; showing `{options[0]}`.")
        labels = pretrained_form.FAMILY_LABELS if path == "model.family" else {}
        result = st.selectbox(
            label,
            options,
            index=options.index(value) if value in options else 0,
            format_func=lambda o: labels.get(o, o),
            key=wkey,
            help=help_text,
        )
    elif annotation is bool:
        result = st.checkbox(label, value=bool(value), key=wkey, help=help_text)
    elif annotation in (int, float) and not optional:
        fmt = "%d" if annotation is int else "%g"
        step = 1 if annotation is int else _float_step(value)
        result = st.number_input(
            label,
            min_value=lo,
            max_value=hi,
            value=annotation(value),
            step=step,
            format=fmt,
            key=wkey,
            help=help_text,
        )
    elif annotation in (int, float):  # optional number: blank means "not set"
        text = st.text_input(
            label,
            value="" if value is None else str(value),
            key=wkey,
            help=help_text,
            placeholder="not set",
        )
        result = _parse_number(text, annotation)
    elif get_origin(annotation) in (list, tuple):
        text = st.text_input(
            label,
            value=", ".join(str(v) for v in value or ()),
            key=wkey,
            help=f"{help_text} (comma-separated)",
        )
        items = [t.strip() for t in text.split(",") if t.strip()]
        result = (
            items if get_origin(annotation) is list else [_parse_number(t, float) for t in items]
        )
    elif label == "notes":
        result = st.text_area(label, value=value or "", key=wkey, help=help_text)
    else:
        text = st.text_input(
            label, value="" if value is None else str(value), key=wkey, help=help_text
        )
        result = text if text or not optional else None
    for message in form.by_path.get(path, []):
        st.error(message)
    return result


def _parse_number(text: str, kind: type) -> Any:
    """A number, None for blank, or the text itself (validation then names the field)."""
    text = text.strip()
    if not text:
        return None
    try:
        return kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
    except ValueError:
        return text


def _float_step(value: Any) -> float:
    """A tenth of the value's order of magnitude: +/- moves lr 0.001 by 0.0001."""
    magnitude = abs(float(value or 0.0))
    return 10.0 ** (math.floor(math.log10(magnitude)) - 1) if magnitude else 0.01


def _bounds(field: FieldInfo) -> tuple[Any, Any]:
    lo = hi = None
    for meta in field.metadata:
        if isinstance(meta, annotated_types.Ge):
            lo = meta.ge
        elif isinstance(meta, annotated_types.Le):
            hi = meta.le
    return lo, hi


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _section_class(annotation: Any) -> type[BaseModel] | None:
    inner, _ = _strip_optional(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
