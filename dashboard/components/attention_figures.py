"""Plotly figures of attention maps: heat maps, the model and head views, token bars,
patch heat maps over an image. Draw only: every input is a plain array with its labels.

Tokens sit on numeric axes with the token text as tick labels: a categorical axis would
merge repeated tokens ("the" twice) into one row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

SCALE = "Blues"
THUMBNAIL_TOKENS = 64  # the model view's thumbnails show at most this many blocks a side
HEAD_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def attention_heatmap(
    matrix: np.ndarray,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    title: str,
    row_title: str = "query (attends)",
    column_title: str = "key (attended to)",
) -> go.Figure:
    """One ``(rows, columns)`` attention matrix; hover shows both tokens and the weight."""
    rows, cols = matrix.shape
    hover = [[f"{row_labels[i]} → {column_labels[j]}" for j in range(cols)] for i in range(rows)]
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=list(range(cols)),
            y=list(range(rows)),
            text=hover,
            hovertemplate="%{text}<br>weight %{z:.4f}<extra></extra>",
            colorscale=SCALE,
            zmin=0.0,  # both ends set: plotly ignores one alone
            zmax=max(float(matrix.max()), 1e-6),
            colorbar={"title": "weight", "thickness": 12},
        )
    )
    side = max(360, min(900, 22 * max(rows, cols) + 120))
    fig.update_layout(title=title, height=side, margin=_MARGIN)
    _token_axis(fig.layout.xaxis, column_labels, column_title, tickangle=-60)
    _token_axis(fig.layout.yaxis, row_labels, row_title)
    fig.update_yaxes(autorange="reversed")
    return fig


def model_view(
    attention: np.ndarray,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    title: str,
    max_side: int = THUMBNAIL_TOKENS,
) -> go.Figure:
    """Thumbnails of every layer (rows) × head (columns) on one 0–1 colour scale.

    Longer inputs are shown as means over blocks of consecutive tokens, at most
    ``max_side`` blocks a side (the hover names each block's tokens): 48 full 256 × 256 maps
    would be millions of cells for the browser.
    """
    layers, heads = attention.shape[:2]
    fig = make_subplots(
        rows=layers,
        cols=heads,
        row_titles=[f"layer {i + 1}" for i in range(layers)],
        column_titles=[f"head {h + 1}" for h in range(heads)],
        horizontal_spacing=0.01,
        vertical_spacing=0.02,
    )
    row_blocks = _blocks(len(row_labels), max_side)
    col_blocks = _blocks(len(column_labels), max_side)
    rows = np.asarray([_block_label(row_labels, b) for b in row_blocks])
    cols = np.asarray([_block_label(column_labels, b) for b in col_blocks])
    hover = np.char.add(np.char.add(rows[:, None], " → "), cols[None, :])
    for layer in range(layers):
        for head in range(heads):
            fig.add_trace(
                go.Heatmap(
                    z=_block_means(attention[layer, head], row_blocks, col_blocks),
                    text=hover,
                    hovertemplate=f"L{layer + 1} H{head + 1}: %{{text}}<br>weight %{{z:.4f}}"
                    "<extra></extra>",
                    colorscale=SCALE,
                    zmin=0.0,
                    zmax=1.0,
                    showscale=layer == 0 and head == 0,
                    colorbar={"title": "weight", "thickness": 12},
                ),
                row=layer + 1,
                col=head + 1,
            )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    fig.update_layout(title=title, height=max(300, 130 * layers + 60), margin=_MARGIN)
    return fig


def _blocks(n: int, max_side: int) -> list[range]:
    """``n`` positions cut into at most ``max_side`` runs of consecutive positions."""
    size = -(-n // max_side)  # ceil
    return [range(start, min(start + size, n)) for start in range(0, n, size)]


def _block_label(labels: Sequence[str], block: range) -> str:
    if len(block) == 1:
        return labels[block[0]]
    return f"{block[0]}–{block[-1]} ({labels[block[0]]} … {labels[block[-1]]})"


def _block_means(matrix: np.ndarray, rows: list[range], cols: list[range]) -> np.ndarray:
    if len(rows) == matrix.shape[0] and len(cols) == matrix.shape[1]:
        return matrix
    return np.array(
        [[matrix[r.start : r.stop, c.start : c.stop].mean() for c in cols] for r in rows]
    )


def head_view(
    attention: np.ndarray,
    tokens: Sequence[str],
    heads: Sequence[int],
    focus: int | None = None,
    key_tokens: Sequence[str] | None = None,
    min_weight: float = 0.01,
) -> go.Figure:
    """BertViz's head view: queries on the left, keys on the right, one line per weight,
    coloured by head, as opaque as the weight is large.

    Args:
        attention: one layer's ``(heads, T_q, T_k)`` probabilities.
        heads: which heads to draw (0-based).
        focus: draw only this query's lines (BertViz: hovering over a token).
        key_tokens: labels of the keys when they differ from the queries (cross-attention).
        min_weight: lines below this weight are not drawn (they would be invisible).
    """
    keys = list(key_tokens) if key_tokens is not None else list(tokens)
    n_q, n_k = attention.shape[1:]
    queries = [focus] if focus is not None else range(n_q)
    fig = go.Figure()
    for head in heads:
        color = HEAD_COLORS[head % len(HEAD_COLORS)]
        # Weights binned to tenths; one trace per bin, drawn at that opacity (a trace has
        # one opacity, and a trace per line would be far too slow).
        levels = np.ceil(attention[head] * 10).clip(1, 10).astype(int)  # (T_q, T_k)
        drawn = attention[head] >= min_weight
        for level in range(1, 11):
            xs: list[float | None] = []
            ys: list[float | None] = []
            for i in queries:
                for j in np.flatnonzero(drawn[i] & (levels[i] == level)):
                    xs += [0.0, 1.0, None]
                    ys += [-float(i), -float(j), None]
            if xs:
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=ys,
                        mode="lines",
                        line={"color": color, "width": 2},
                        opacity=level / 10,
                        hoverinfo="skip",
                        showlegend=False,
                    )
                )
        fig.add_trace(  # a legend entry per head
            go.Scatter(
                x=[None], y=[None], mode="lines", line={"color": color}, name=f"head {head + 1}"
            )
        )
    fig.add_trace(_token_column(tokens, 0.0, "middle left", attention, heads, keys))
    fig.add_trace(_token_column(keys, 1.0, "middle right"))
    fig.update_xaxes(visible=False, range=[-0.6, 1.6])
    fig.update_yaxes(visible=False, range=[-max(n_q, n_k) + 0.5, 0.8])
    fig.update_layout(
        height=max(320, 20 * max(n_q, n_k) + 80),
        margin=_MARGIN,
        legend={"orientation": "h", "y": 1.02, "x": 0},
        plot_bgcolor="white",
    )
    return fig


def _token_column(
    labels: Sequence[str],
    x: float,
    position: str,
    attention: np.ndarray | None = None,
    heads: Sequence[int] = (),
    keys: Sequence[str] = (),
) -> go.Scatter:
    """A column of token labels; the query column's hover lists each token's top keys."""
    hover = list(labels)
    if attention is not None and heads:
        mean = attention[list(heads)].mean(axis=0)  # (T_q, T_k)
        hover = [
            f"{tok}: " + ", ".join(f"{keys[j]} {mean[i, j]:.2f}" for j in np.argsort(-mean[i])[:3])
            for i, tok in enumerate(labels)
        ]
    return go.Scatter(
        x=[x] * len(labels),
        y=[-i for i in range(len(labels))],
        mode="markers+text",
        text=list(labels),
        textposition=position,
        marker={"size": 5, "color": "#444"},
        hovertext=hover,
        hoverinfo="text",
        showlegend=False,
    )


def token_bars(
    values: np.ndarray, tokens: Sequence[str], title: str, value_title: str
) -> go.Figure:
    """One bar per token (rollout to the inputs, saliency); negative values in red."""
    colors = ["#d62728" if v < 0 else "#1f77b4" for v in values]
    fig = go.Figure(
        go.Bar(
            x=list(range(len(values))),
            y=values,
            marker_color=colors,
            customdata=list(tokens),
            hovertemplate="%{customdata}: %{y:.4f}<extra></extra>",
        )
    )
    fig.update_layout(title=title, height=320, margin=_MARGIN, yaxis_title=value_title)
    _token_axis(fig.layout.xaxis, tokens, None, tickangle=-60)
    return fig


def patch_overlay(
    image: np.ndarray, patch_values: np.ndarray, title: str, opacity: float = 0.55
) -> go.Figure:
    """The ``(C, H, W)`` image in [0, 1] with a ``(rows, cols)`` patch heat map over it."""
    channels, height, width = image.shape
    rows, cols = patch_values.shape
    per_pixel = np.kron(patch_values, np.ones((height // rows, width // cols)))  # (H, W)
    if channels == 1:
        base = go.Heatmap(
            z=image[0], colorscale="gray", zmin=0.0, zmax=1.0, showscale=False, hoverinfo="skip"
        )
    else:
        base = go.Image(z=(image.transpose(1, 2, 0) * 255).astype(np.uint8), hoverinfo="skip")
    overlay = go.Heatmap(
        z=per_pixel,
        colorscale="Inferno",
        opacity=opacity,
        showscale=opacity > 0,
        colorbar={"thickness": 12},
        hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra></extra>",
    )
    fig = go.Figure([base, overlay])
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(title=title, height=340, margin=_MARGIN)
    return fig


def _token_axis(axis, labels: Sequence[str], title: str | None, tickangle: int = 0) -> None:
    axis.update(
        tickmode="array",
        tickvals=list(range(len(labels))),
        ticktext=list(labels),
        title=title,
        tickangle=tickangle,
        showgrid=False,
    )
