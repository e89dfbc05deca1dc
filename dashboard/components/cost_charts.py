"""Plotly figures of the stakeholder view: the cost-vs-quality frontier and scaling. Draw only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from paretolab.costing.frontier import is_fraction
from paretolab.number_format import format_usd

FRONTIER_COLOR, DOMINATED_COLOR, BASELINE_COLOR = "#3b5bdb", "#adb5bd", "#e8590c"
# Room for tick labels and axis titles (automargin grows it where labels are long): the
# former 10 px cut the x ticks off and drew the titles over the ticks.
_MARGIN = {"l": 70, "r": 20, "t": 70, "b": 60}
_AXIS = {"automargin": True, "title": {"standoff": 12}}
_FRACTION_TICKS = {"tickformat": ".2f"}  # 0.90, not Plotly's ".9"


def _ticks_of(cost: str) -> dict[str, str]:
    # SI prefixes read well for FLOPs (3T); hours and kWh keep plain digits (0.01, not 10m).
    return {"tickformat": "~s" if cost == "flops_estimated" else "~g"}


def money_ticks(values: pd.Series | np.ndarray, log: bool) -> dict[str, Any]:
    """Tick values and labels of a dollar axis in ``paretolab.number_format``'s words
    (``$0.00003``, not ``$3e-5`` or ``30μ``): decades on a log axis, five steps otherwise."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0 if log else True)]
    if finite.size == 0:
        return {}
    if log:
        low, high = np.floor(np.log10(finite.min())), np.ceil(np.log10(finite.max()))
        ticks = [10.0**k for k in np.arange(low, high + 1)]
    else:
        ticks = list(np.linspace(0, finite.max(), 5))
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [format_usd(t) for t in ticks]}


def frontier_figure(
    points: pd.DataFrame,
    cost: str,
    cost_label: str,
    metric: str,
    baseline: dict[str, Any] | None = None,
    log_x: bool = True,
    log_y: bool = False,
) -> go.Figure:
    """Runs as points (dominated ones dimmed), the Pareto frontier as a line, and the
    classical baseline as a star and a dashed line at its quality."""
    fig = go.Figure()
    dominated, front = points[~points["on_frontier"]], points[points["on_frontier"]]
    # The cost in the hover as on the axis: customdata holds it written out ($0.000029).
    hover = (
        "<b>%{text}</b><br>" + cost_label + ": %{customdata}<br>" + metric + ": %{y:.4g}"
        "<extra></extra>"
    )

    def written(costs: pd.Series) -> list[str]:
        return [format_usd(v) if cost == "usd" else f"{v:.3g}" for v in costs]

    if len(dominated):
        fig.add_trace(
            go.Scatter(
                x=dominated[cost],
                y=dominated[metric],
                text=dominated["name"],
                customdata=written(dominated[cost]),
                mode="markers",
                name="dominated runs",
                marker={"color": DOMINATED_COLOR, "size": 9},
                opacity=0.45,
                hovertemplate=hover,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=front[cost],
            y=front[metric],
            text=front["name"],
            customdata=written(front[cost]),
            mode="lines+markers",
            name="Pareto frontier",
            line={"color": FRONTIER_COLOR, "shape": "hv"},
            marker={"color": FRONTIER_COLOR, "size": 11},
            hovertemplate=hover,
        )
    )
    quality = (baseline or {}).get("metrics", {}).get(metric)
    if quality is not None:
        x = (baseline.get("cost") or {}).get("cost_usd") if cost == "usd" else None
        if x is None and cost == "device_hours":
            x = (baseline.get("cost") or {}).get("device_hours")
        fig.add_hline(
            y=quality,
            line={"color": BASELINE_COLOR, "dash": "dash"},
            annotation_text=f"baseline: {baseline['model']}",
            annotation_position="bottom right",
        )
        if x:
            fig.add_trace(
                go.Scatter(
                    x=[x],
                    y=[quality],
                    mode="markers",
                    name="classical baseline",
                    marker={"symbol": "star", "size": 16, "color": BASELINE_COLOR},
                    hovertemplate=f"<b>{baseline['model']}</b><br>{cost_label}: %{{x:.3g}}"
                    f"<br>{metric}: %{{y:.4g}}<extra></extra>",
                )
            )
    fig.update_layout(
        title=f"{metric} against {cost_label}",
        xaxis={
            **_AXIS,
            "title": {**_AXIS["title"], "text": cost_label},
            "type": "log" if log_x else "linear",
            **(money_ticks(points[cost], log_x) if cost == "usd" else _ticks_of(cost)),
        },
        yaxis={
            **_AXIS,
            "title": {**_AXIS["title"], "text": metric},
            "type": "log" if log_y else "linear",
            **(_FRACTION_TICKS if is_fraction(metric) else {"tickformat": "~g"}),
        },
        height=460,
        margin=_MARGIN,
        # Plotly hides a one-trace legend; when every run is on the frontier the reader
        # still needs to know what the line is.
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return fig


def scaling_figure(
    fitted: dict[str, Any],
    grid: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    target: dict[str, Any] | None = None,
) -> go.Figure:
    """Runs' loss against compute (log–log), the power-law fit with its 10–90% band, and the
    projected compute for a target."""
    fit = fitted["fit"]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([grid, grid[::-1]]),
            y=np.concatenate([high, low[::-1]]),
            fill="toself",
            fillcolor="rgba(59,91,219,0.15)",
            line={"width": 0},
            name="fit: 10–90% band",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=fit.predict(grid),
            mode="lines",
            name=fit.describe(),
            line={"color": FRONTIER_COLOR},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=fitted["compute"],
            y=fitted["loss"],
            text=fitted["names"],
            mode="markers",
            name="runs",
            marker={"color": "#212529", "size": 9},
            hovertemplate="<b>%{text}</b><br>FLOPs: %{x:.3g}<br>%{y:.4g}<extra></extra>",
        )
    )
    if target and target.get("flops"):
        y = 1.0 - target["target"] if fitted["fitted_as"].startswith("1 −") else target["target"]
        fig.add_trace(
            go.Scatter(
                x=[target["flops"]],
                y=[y],
                mode="markers",
                name="target",
                marker={"symbol": "x", "size": 14, "color": BASELINE_COLOR},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(target.get("flops_high") or target["flops"]) - target["flops"]],
                    "arrayminus": [target["flops"] - (target.get("flops_low") or target["flops"])],
                },
            )
        )
    # The band can run off to absurd values far from the runs: frame the runs and the fit.
    seen = np.concatenate([fitted["loss"], fit.predict(grid)])
    seen = seen[np.isfinite(seen) & (seen > 0)]
    y_range = [np.log10(seen.min() / 1.5), np.log10(seen.max() * 1.5)]
    fig.update_layout(
        yaxis_range=y_range,
        title=f"{fitted['fitted_as']} against training compute",
        xaxis={**_AXIS, "title": {**_AXIS["title"], "text": "training FLOPs"}, "type": "log"},
        yaxis={
            **_AXIS,
            "title": {**_AXIS["title"], "text": fitted["fitted_as"]},
            "type": "log",
            "tickformat": "~g",
        },
        height=440,
        margin=_MARGIN,
    )
    return fig
