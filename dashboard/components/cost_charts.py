"""Plotly figures of the stakeholder view: the cost-vs-quality frontier and scaling. Draw only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

FRONTIER_COLOR, DOMINATED_COLOR, BASELINE_COLOR = "#3b5bdb", "#adb5bd", "#e8590c"
_MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}


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
    hover = (
        "<b>%{text}</b><br>" + cost_label + ": %{x:.3g}<br>" + metric + ": %{y:.4g}<extra></extra>"
    )
    if len(dominated):
        fig.add_trace(
            go.Scatter(
                x=dominated[cost],
                y=dominated[metric],
                text=dominated["name"],
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
        xaxis_title=cost_label,
        yaxis_title=metric,
        xaxis_type="log" if log_x else "linear",
        yaxis_type="log" if log_y else "linear",
        height=440,
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
        xaxis_title="training FLOPs",
        yaxis_title=fitted["fitted_as"],
        xaxis_type="log",
        yaxis_type="log",
        height=420,
        margin=_MARGIN,
    )
    return fig
