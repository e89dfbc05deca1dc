"""How cost figures read in tables: dollars, scientific FLOPs, 3 significant digits."""

from __future__ import annotations

import streamlit as st

_FORMATS = {
    "usd": "$%.3g",
    "flops_estimated": "%.3e",
    "params": "%d",
    "tokens": "%.3g",
    "hours": "%.3g",
    "device_hours": "%.3g",
    "energy_kwh": "%.3g",
    "co2_kg": "%.3g",
    "mfu": "percent",
    "flops_ratio": "%.3f",
    "tokens_per_param": "%.3g",
}


def cost_columns() -> dict[str, st.column_config.NumberColumn]:
    """``column_config`` for ``st.dataframe`` of runs' cost figures."""
    return {c: st.column_config.NumberColumn(c, format=f) for c, f in _FORMATS.items()}
