"""The Spend page and the report's spend section: spend over time by group, waste, and the
budgets with their forecasts (``RunStore.spend``, ``paretolab.budgets``)."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from dashboard.services.budgets import budget_statuses
from dashboard.services.common import store
from paretolab.costing.energy_methods import describe_split
from paretolab.periods import day_label, period_bounds, previous_month
from paretolab.store import spend
from paretolab.store.spend import FIGURES

GROUPS, PERIODS = spend.GROUPS, spend.PERIODS  # the page's choices
WINDOWS = ("last month", "this month", "this quarter", "last 90 days")


def window(name: str, now: float | None = None) -> tuple[float, float]:
    """[start, end) of a named window, UTC (``end`` may be in the future: spend so far)."""
    now = time.time() if now is None else now
    if name == "last month":
        return previous_month(now)
    if name == "this month":
        return period_bounds("month", now)
    if name == "this quarter":
        return period_bounds("quarter", now)
    return now - 90 * 86400.0, now + 1.0


def spend_frame(by: str | None, period: str, since: float, until: float) -> pd.DataFrame:
    """One row per (period, group) with $, device-hours, kWh, waste, running, estimated."""
    rows = store().spend(by=by, period=period, since=since, until=until)
    return pd.DataFrame(rows, columns=["period", "group", *FIGURES])


def totals(frame: pd.DataFrame) -> dict[str, float]:
    """The frame's figures summed (a run with several tags counts once per tag)."""
    return {k: float(frame[k].sum()) if len(frame) else 0.0 for k in FIGURES}


def energy_method(total: dict[str, float]) -> str:
    """How the totals' energy was obtained: measured and estimated kWh."""
    return describe_split(total["energy_kwh"], total["energy_kwh_measured"])


def budget_frame() -> pd.DataFrame:
    """Each budget: window, amount, spent, share, forecast and its 90% range."""
    return pd.DataFrame(
        [s.as_dict() for s in budget_statuses()],
        columns=[
            "name",
            "scope",
            "unit",
            "amount",
            "hard",
            "from",
            "until",
            "spent",
            "share",
            "forecast",
            "forecast_low",
            "forecast_high",
        ],
    )


def report_items(window_name: str = "last month", top: int = 5) -> list[Any]:
    """The stakeholder report's spend section: the period, the top tags, the budgets and
    the waste (failed and cancelled runs)."""
    since, until = window(window_name)
    everything = totals(spend_frame(None, "month", since, until))
    tags = spend_frame("tag", "month", since, until)
    top_tags = (
        tags.groupby("group")[["usd", "device_hours", "usd_waste", "runs"]]
        .sum()
        .sort_values("usd", ascending=False)
        .head(top)
        .reset_index()
        .rename(columns={"group": "tag"})
    )
    usd, waste = everything["usd"], everything["usd_waste"]
    share = f" ({waste / usd:.0%} of the spend)" if usd else ""
    period = f"{window_name}: {day_label(since)} to {day_label(min(until, time.time()) - 1)} (UTC)"
    return [
        f"Spend {period}: ${usd:,.2f}, {everything['device_hours']:,.1f} device-hours, "
        f"{energy_method(everything)} over {int(everything['runs'])} runs; "
        f"${everything['usd_estimated']:,.2f} of it estimated from burn rates (running runs, "
        "runs stopped before their bill).",
        f"Waste: ${waste:,.2f} on failed and cancelled runs{share}.",
        f"Top {top} tags by spend (a run counts under each of its tags):",
        top_tags,
        "Budgets: spent so far in each one's period, and the forecast to its end (90% range):",
        budget_frame(),
    ]
