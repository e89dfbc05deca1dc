"""Plotly figures for metric curves: smoothing, overlays, mean ± std bands. Draw only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

X_TITLES = {"step": "step", "wall": "time", "relative": "seconds since start"}


def ema(values: np.ndarray, smoothing: float) -> np.ndarray:
    """Exponential moving average with W&B/TensorBoard's debiasing; 0 returns the input."""
    if smoothing <= 0 or len(values) == 0:
        return np.asarray(values, dtype=float)
    out = np.empty(len(values))
    last, weight = 0.0, 0.0
    for i, v in enumerate(values):
        last = smoothing * last + (1 - smoothing) * v
        weight = smoothing * weight + (1 - smoothing)
        out[i] = last / weight
    return out


def curves_figure(
    series: pd.DataFrame, key: str, labels: dict[int, str], smoothing: float, x_axis: str
) -> go.Figure:
    """One line per run (columns run, x, value); the raw series faint behind the smoothed one."""
    fig = go.Figure()
    for i, (run_id, part) in enumerate(series.groupby("run", sort=False)):
        color, label = _color(i), labels.get(run_id, str(run_id))
        if smoothing > 0:
            fig.add_trace(
                go.Scatter(
                    x=part["x"],
                    y=part["value"],
                    mode="lines",
                    opacity=0.25,
                    line={"color": color},
                    legendgroup=label,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=ema(part["value"].to_numpy(), smoothing),
                mode="lines+markers" if len(part) < 30 else "lines",
                name=label,
                legendgroup=label,
                line={"color": color},
            )
        )
    fig.update_layout(
        title=key,
        xaxis_title=X_TITLES[x_axis],
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend=_LEGEND,
    )
    return fig


def system_figure(series: pd.DataFrame, title: str, x_axis: str) -> go.Figure:
    """A system chart: one unsmoothed line per label in column ``line`` (a run, a GPU, a
    measure), on the x-axis the training curves use."""
    return curves_figure(series.assign(run=series["line"]), title, {}, 0.0, x_axis)


def band_figure(
    series: pd.DataFrame, groups: dict[int, str], key: str, smoothing: float, x_axis: str
) -> go.Figure:
    """Mean ± std across the runs of each group, aligned on x (e.g. seeds of one config)."""
    fig = go.Figure()
    frame = series.assign(group=series["run"].map(groups))
    for i, (group, part) in enumerate(frame.groupby("group", sort=True)):
        smoothed = part.groupby("run", group_keys=False)["value"].transform(
            lambda v: pd.Series(ema(v.to_numpy(), smoothing), index=v.index)
        )
        stats = (
            part.assign(value=smoothed)
            .groupby("x")["value"]
            .agg(["mean", "std", "count"])
            .reset_index()
        )
        stats["std"] = stats["std"].fillna(0.0)
        color, label = _color(i), f"{group} (n={part['run'].nunique()})"
        x = stats["x"]
        fig.add_trace(
            go.Scatter(
                x=pd.concat([x, x[::-1]]),
                y=pd.concat([stats["mean"] + stats["std"], (stats["mean"] - stats["std"])[::-1]]),
                fill="toself",
                fillcolor=color,
                opacity=0.2,
                line={"width": 0},
                legendgroup=label,
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=stats["mean"],
                mode="lines",
                line={"color": color},
                name=label,
                legendgroup=label,
            )
        )
    fig.update_layout(
        title=f"{key}: mean ± std by group",
        xaxis_title=X_TITLES[x_axis],
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend=_LEGEND,
    )
    return fig


def grid_figure(figures: list[go.Figure], columns: int = 2) -> go.Figure:
    """Charts as one figure, a subplot each, ``columns`` to a row, under one legend whose
    entries show or hide a run in every subplot.

    A browser spends time on each Plotly chart it mounts (the Compare page drew one per
    metric); one figure with subplots is mounted once.
    """
    rows = max(1, -(-len(figures) // columns))
    grid = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[fig.layout.title.text or "" for fig in figures],
        vertical_spacing=0.25 / rows,  # ~80 px between rows at any height
        horizontal_spacing=0.08,
    )
    in_legend: set[str] = set()
    for i, fig in enumerate(figures):
        row, col = divmod(i, columns)
        for trace in fig.data:
            if trace.showlegend is not False:
                trace.showlegend = trace.legendgroup not in in_legend
                in_legend.add(trace.legendgroup)
            grid.add_trace(trace, row=row + 1, col=col + 1)
        grid.update_xaxes(title_text=fig.layout.xaxis.title.text, row=row + 1, col=col + 1)
    grid.update_layout(height=320 * rows, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return grid


def confusion_figure(doc: dict) -> go.Figure:
    """Heat map of a confusion matrix: rows are true classes, columns predictions."""
    labels = doc["labels"] or [str(i) for i in range(len(doc["matrix"]))]
    fig = go.Figure(
        go.Heatmap(
            z=doc["matrix"],
            x=labels,
            y=labels,
            colorscale="Blues",
            text=doc["matrix"],
            texttemplate="%{text}",
            showscale=False,
        )
    )
    fig.update_layout(
        title="test confusion matrix",
        xaxis_title="predicted",
        yaxis_title="true",
        yaxis_autorange="reversed",
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"}
_PALETTE = ["#3b5bdb", "#e8590c", "#2b8a3e", "#c2255c", "#5f3dc4", "#0b7285", "#e67700", "#495057"]


def _color(i: int) -> str:
    return _PALETTE[i % len(_PALETTE)]


def parallel_figure(frame: pd.DataFrame, dims: list[str], target: str) -> go.Figure:
    """Parallel coordinates of config fields against ``target`` (the colour). Short labels
    (``lr``, not ``optim.lr``), readable ticks and room on both sides: Plotly's default
    margins clipped the outer axes' labels to "m.lr" and ticks "01"."""
    short = [d.rsplit(".", 1)[-1] for d in dims]
    labels = [s if short.count(s) == 1 else d for s, d in zip(short, dims, strict=True)]
    dimensions = [
        {"label": label, "values": frame[d], "tickformat": "~g"}
        for label, d in zip(labels, dims, strict=True)
    ]
    fig = go.Figure(
        go.Parcoords(
            dimensions=dimensions,
            line={
                "color": frame[target],
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": target}},
            },
            labelangle=0,
        )
    )
    fig.update_layout(margin={"l": 80, "r": 90, "t": 70, "b": 30}, height=440)
    return fig
