"""A page's state in its URL: widget values read from the query parameters when a page is
opened and written back on every rerun, so a link reproduces the view for a teammate
(selected runs, filters, columns, metric, x-axis).

``restore`` runs before the widgets are drawn (a widget's session-state value must be set
before it exists); ``publish`` after, with what they show now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class UrlField:
    """Widget ``key`` kept in query parameter ``param``; ``kind`` is ``str``, ``bool``,
    ``float`` or ``list`` (repeated parameters)."""

    key: str
    param: str
    kind: type = str


def restore(
    fields: tuple[UrlField, ...], choices: Mapping[str, Sequence[Any]] | None = None
) -> None:
    """Set each widget's value from its query parameter, once per widget and session (after
    that the widget is the truth and the URL follows it). A value the URL cannot give is
    ignored: a number that is not one, or one not among the widget's ``choices[key]`` (a
    list keeps the values that are)."""
    loaded: set[str] = st.session_state.setdefault("_url_restored", set())
    for field in fields:
        if field.key in loaded:
            continue
        loaded.add(field.key)
        if field.param not in st.query_params:
            continue
        value = _parsed(field)
        allowed = (choices or {}).get(field.key)
        if allowed is not None and value is not None:
            if field.kind is list:
                value = [v for v in value if v in allowed]
            elif value not in allowed:
                value = None
        if value is not None:
            st.session_state[field.key] = value


def publish(fields: tuple[UrlField, ...], defaults: Mapping[str, Any] | None = None) -> None:
    """Write each drawn widget's current value to its query parameter (removed when it is
    empty or the field's default, so plain links stay short)."""
    defaults = defaults or {}
    for field in fields:
        if field.key not in st.session_state:
            continue  # not drawn on this run (a closed tab): the URL keeps what it said
        value = st.session_state[field.key]
        if value in (None, "", [], False) or value == defaults.get(field.key):
            st.query_params.pop(field.param, None)
        elif field.kind is list:
            st.query_params[field.param] = [str(v) for v in value]
        else:
            st.query_params[field.param] = str(value).lower() if field.kind is bool else str(value)


def _parsed(field: UrlField) -> Any:
    if field.kind is list:
        return st.query_params.get_all(field.param)
    raw = st.query_params.get(field.param, "")
    if field.kind is bool:
        return raw.lower() in ("1", "true", "yes")
    if field.kind is float:
        try:
            return float(raw)
        except ValueError:
            return None
    return raw
