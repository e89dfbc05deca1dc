"""Numbers for people, by magnitude and unit: one formatter for money, FLOPs, CO₂e, energy
and plain metrics, used by the CLI (``paretolab runs show``) and the dashboard alike.

Why: a fixed ``.4f`` printed a run's cost as ``0.0000`` and its FLOPs as
``22841671680.0000``; ``.3g`` put ``$2.91e-05`` on a stakeholder page. Money is read in
plain decimals (``$0.000029``), counts with SI prefixes (``22.8 GFLOPs``), small masses and
energies in a smaller unit (``0.12 g CO₂e``).
"""

from __future__ import annotations

import math

_SI = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
SMALLEST_USD = 1e-6  # below this a cost reads "< $0.000001"


def format_usd(value: float | None) -> str:
    """Dollars: ``$1,234.50``, ``$0.12``, ``$0.000029`` or ``$0.00003`` (two significant
    digits below a cent), ``< $0.000001``, ``$0``; ``—`` when there is no figure."""
    if value is None or not math.isfinite(value):
        return "—"
    sign, size = ("-" if value < 0 else ""), abs(value)
    if size == 0:
        return "$0"
    if size >= 0.01:
        return f"{sign}${size:,.2f}"
    if size < SMALLEST_USD:
        return f"< {sign}${SMALLEST_USD:.6f}"
    decimals = 1 - math.floor(math.log10(size))  # two significant digits, no trailing 0
    return f"{sign}${size:.{decimals}f}".rstrip("0")


def format_count(value: float, unit: str = "") -> str:
    """A large count with an SI prefix: ``22.8 GFLOPs``, ``31 k``, ``512``."""
    if not math.isfinite(value):
        return str(value)
    for scale, prefix in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}".rstrip()
    return f"{value:.3g} {unit}".rstrip()


def format_number(value: float) -> str:
    """A plain metric: four significant digits (``0.8125``, ``1.234``), thousands with
    commas (``12,345``), tiny values in scientific notation (``3.2e-07``)."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 1e4:
        return f"{value:,.0f}" if abs(value) < 1e12 else f"{value:.4g}"
    return f"{value:.4g}"


def _scaled(value: float, units: tuple[tuple[float, str], ...]) -> str:
    """``value`` in the largest of ``units`` (factor, name) it reaches, else the smallest."""
    if not math.isfinite(value):
        return str(value)
    for factor, name in units:
        if abs(value) >= factor:
            return f"{format_number(value / factor)} {name}"
    factor, name = units[-1]
    return f"{format_number(value / factor)} {name}"


def format_metric(key: str, value: float) -> str:
    """A logged value in its unit, from its key: ``cost/usd`` as money, FLOPs with an SI
    prefix, ``cost/co2_kg`` in kg or g CO₂e, ``cost/energy_kwh`` in kWh or Wh."""
    name = key.rsplit("/", 1)[-1]
    if name in ("usd", "cost_usd") or name.endswith("_usd"):
        return format_usd(value)
    if "flops" in name and "ratio" not in name:
        return format_count(value, "FLOPs")
    if name.startswith("co2_kg"):
        return _scaled(value, ((1.0, "kg CO₂e"), (1e-3, "g CO₂e"), (1e-6, "mg CO₂e")))
    if name.startswith("energy_kwh"):
        return _scaled(value, ((1.0, "kWh"), (1e-3, "Wh"), (1e-6, "mWh")))
    if name in ("tokens", "params", "params_counted"):
        return format_count(value)
    return format_number(value)
