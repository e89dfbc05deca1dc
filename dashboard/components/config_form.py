"""A run-config form generated from the schema: one widget per field, grouped by section.

Widget type, range and help text come from the pydantic field (annotation, ``ge``/``le``,
docstring), so a new config field appears in the form with no page change.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dashboard.components import form_rules, pretrained_form
from dashboard.components.config_widgets import FormState, field_widget, strip_optional
from paretolab.config import ModelConfig, RunConfig
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
    form = FormState(key, by_path, limits or {}, _flattened(base))
    values: dict[str, Any] = {}
    pretrained = pretrained_form.is_pretrained(base, key)
    tabs = st.tabs(list(SECTIONS))
    for tab, section in zip(tabs, SECTIONS, strict=True):
        with tab:
            if section == "run":
                top = {
                    name: field
                    for name, field in RunConfig.model_fields.items()
                    if _section_class(field.annotation) is None
                }
                values |= _fields_in_order("", top, base, form)
            elif not form_rules.section_applies(section, form.context):
                st.caption(f"This section does not apply to task {form.context.get('task')}.")
                values[section] = base.get(section) or {}
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


def _render_section(
    path: str, cls: type[BaseModel], base: dict[str, Any], form: FormState
) -> dict[str, Any]:
    out = _fields_in_order(path, cls.model_fields, base, form)
    for message in form.by_path.get(path, []):
        st.error(message)
    return out


def _fields_in_order(
    path: str, fields: dict[str, FieldInfo], base: dict[str, Any], form: FormState
) -> dict[str, Any]:
    """The section's fields that apply (``form_rules``): its common ones, then the rest under
    *Advanced*. A field that does not apply keeps its value, undrawn."""
    out: dict[str, Any] = {}

    def path_of(name: str) -> str:
        return f"{path}.{name}" if path else name

    def applies(name: str) -> bool:  # asked when drawn: the choices above it are made
        if form_rules.applies(path_of(name), form.context):
            return True
        out[name] = base.get(name, fields[name].get_default(call_default_factory=True))
        return False

    common = [n for n in fields if form_rules.is_common(path_of(n))]
    for name in common:
        if applies(name):
            out[name] = _field(path, name, fields[name], base, form)
    rest = [n for n in fields if n not in common and applies(n)]
    if rest:
        with st.expander("Advanced"):
            for name in rest:
                out[name] = _field(path, name, fields[name], base, form)
    return out


def _field(path: str, name: str, field: FieldInfo, base: dict[str, Any], form: FormState) -> Any:
    sub = f"{path}.{name}" if path else name
    inner = _section_class(field.annotation)
    if inner is None:
        value = base.get(name, field.get_default(call_default_factory=True))
        return field_widget(sub, field, value, form)
    if not strip_optional(field.annotation)[1]:  # a sub-section that is always there
        return _render_section(sub, inner, base.get(name) or {}, form)
    # an optional sub-section, e.g. trainer.early_stopping
    enabled = st.checkbox(
        form_rules.label(sub),
        value=base.get(name) is not None,
        key=f"{form.key}.{sub}.enabled",
        help=field.description,
    )
    if not enabled:
        return None
    with st.container(border=True):
        return _render_section(sub, inner, base.get(name) or {}, form)


def _render_model(base: dict[str, Any], form: FormState) -> dict[str, Any]:
    """The model tab: a from-scratch family's shape, or a pretrained checkpoint's picker
    (fields the family does not read are left out, so they keep their defaults)."""
    fields = ModelConfig.model_fields

    def widget(name: str, value: Any) -> Any:
        return field_widget(f"model.{name}", fields[name], value, form)

    def section(name: str, sub: dict[str, Any]) -> dict[str, Any]:
        return _render_section(f"model.{name}", _section_class(fields[name].annotation), sub, form)

    family = widget("family", base.get("family", fields["family"].default))
    out: dict[str, Any] = {"family": family}
    pretrained = family == PRETRAINED_FAMILY
    if pretrained:
        out.update(pretrained_form.render_pretrained(base, form.key, widget, section))
    rest = {
        name: fields[name]
        for name in pretrained_form.model_fields_for(pretrained, list(fields))
        if name not in out and name not in PretrainedFields.model_fields
    }
    out |= _fields_in_order("model", rest, base, form)
    for message in form.by_path.get("model", []):
        st.error(message)
    return out


def _flattened(base: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"data": {"dataset": "x"}}`` → ``{"data.dataset": "x"}`` (the form's context)."""
    out: dict[str, Any] = {}
    for k, v in base.items():
        if isinstance(v, dict):
            out |= _flattened(v, f"{prefix}{k}.")
        else:
            out[f"{prefix}{k}"] = v
    return out


def _section_class(annotation: Any) -> type[BaseModel] | None:
    inner, _ = strip_optional(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
