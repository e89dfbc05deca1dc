"""How cost figures read in tables: money, FLOPs, energy and CO₂e in the words of
``paretolab.number_format`` (the same as the charts' axes and ``paretolab runs show``), the
other figures to 3 significant digits."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from paretolab.number_format import format_metric

_FORMATS = {
    "params": "%d",
    "tokens": "%.3g",
    "hours": "%.3g",
    "device_hours": "%.3g",
    "mfu": "percent",
    "flops_ratio": "%.3f",
    "tokens_per_param": "%.3g",
}
# Columns written as text by the shared formatter ($0.000029, 22.8 GFLOPs, 1.2 g CO₂e): a
# printf format gave "$2.91e-05" on a stakeholder page.
_UNITS = {
    "usd": "cost/usd",
    "flops_estimated": "cost/flops_estimated",
    "energy_kwh": "cost/energy_kwh",
    "co2_kg": "cost/co2_kg",
}


def cost_columns() -> dict[str, st.column_config.NumberColumn]:
    """``column_config`` for ``st.dataframe`` of runs' cost figures (after
    ``readable_costs``)."""
    return {c: st.column_config.NumberColumn(c, format=f) for c, f in _FORMATS.items()}


def readable_costs(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its money, FLOPs, energy and CO₂e columns written for people."""
    out = frame.copy()
    for column, key in _UNITS.items():
        if column in out:
            out[column] = [format_metric(key, v) if pd.notna(v) else "—" for v in out[column]]
    return out
