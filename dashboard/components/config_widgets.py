"""One widget per config field, chosen from the pydantic field: a choice, a checkbox, a
number within the field's bounds (and this machine's limits), a list, or text; with the
field's validation messages beside it. Drawn by ``config_form``.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import streamlit as st
from pydantic.fields import FieldInfo

from dashboard.components import form_rules, pretrained_form
from paretolab.config.base import choices_of


@dataclass(frozen=True)
class FormState:
    """What every widget of one form reads: its key prefix, messages and limits, and the
    values chosen so far."""

    key: str  # widget-key prefix
    by_path: dict[str, list[str]]  # validation messages by field path
    limits: dict[str, Any]  # see config_form.render_config_form
    context: dict[str, Any]  # field path → value chosen so far (form_rules' predicates)


def field_widget(path: str, field: FieldInfo, value: Any, form: FormState) -> Any:
    """Draw the widget of the field at ``path`` filled with ``value``; return the entry
    (recorded in ``form.context`` for the fields drawn after it)."""
    label, wkey = form_rules.label(path), f"{form.key}.{path}"
    help_text = f"`{path}` — {field.description}" if field.description else f"`{path}`"
    annotation, optional = strip_optional(field.annotation)
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
    elif path == "notes":
        result = st.text_area(label, value=value or "", key=wkey, help=help_text)
    else:
        text = st.text_input(
            label, value="" if value is None else str(value), key=wkey, help=help_text
        )
        result = text if text or not optional else None
    for message in form.by_path.get(path, []):
        st.error(message)
    form.context[path] = result
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


def strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` → ``(X, True)``; any other annotation → ``(it, False)``."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False
