"""The attention explorer's layer × head panels — heat map, model view, head view — over
any attention ``Stack``. Each ``render_*`` takes extracted maps and draws (its layer, head
and token pickers included); nothing here computes a model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from dashboard.components.attention_figures import (
    THUMBNAIL_TOKENS,
    attention_heatmap,
    head_view,
    model_view,
)

MEAN = "mean of heads"
HEAD_VIEW_TOKENS = 64  # longer inputs open the head view on one token's lines
_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}  # white-space tokens, made visible


def display(token: str) -> str:
    """A token as a label: white space made visible."""
    return "".join(_VISIBLE.get(ch, ch) for ch in token) or "∅"


@dataclass
class Stack:
    """One kind of attention to show: ``(L, H, queries, keys)`` with labels and what to keep."""

    name: str
    attention: np.ndarray
    queries: list[str]
    keys: list[str]
    keep_queries: np.ndarray
    keep_keys: np.ndarray

    def shown(self) -> tuple[np.ndarray, list[str], list[str]]:
        """The attention and labels without the hidden (special) tokens."""
        a = self.attention[:, :, self.keep_queries][:, :, :, self.keep_keys]
        q = [t for t, k in zip(self.queries, self.keep_queries, strict=True) if k]
        k = [t for t, kk in zip(self.keys, self.keep_keys, strict=True) if kk]
        return a, q, k


def stacks(maps, show_special: bool) -> dict[str, Stack]:
    """Every attention of the maps: one self-attention, or encoder, decoder and cross."""
    tokens = [display(t) for t in maps.tokens]
    keep = np.ones(len(tokens), bool) if show_special else ~maps.special
    if maps.cross_attention is None:
        return {
            "self-attention": Stack("self-attention", maps.attention, tokens, tokens, keep, keep)
        }
    target = [display(t) for t in maps.target_tokens]
    outputs = [display(t) for t in maps.output_tokens]
    keep_target = np.ones(len(target), bool) if show_special else ~maps.target_special
    keep_out = (
        np.ones(len(outputs), bool) if show_special else ~np.isin(outputs, ["[CLS]", "[SEP]"])
    )
    return {
        "encoder self-attention": Stack(
            "encoder self-attention", maps.attention, tokens, tokens, keep, keep
        ),
        "decoder self-attention": Stack(
            "decoder self-attention",
            maps.decoder_attention,
            target,
            target,
            keep_target,
            keep_target,
        ),
        "cross-attention": Stack(
            "cross-attention (generated token → source)",
            maps.cross_attention,
            outputs,
            tokens,
            keep_out,
            keep,
        ),
    }


def layer_and_head(
    stack: Stack, key: str, default_layer: int | None = None
) -> tuple[int, int | None]:
    layers, heads = stack.attention.shape[:2]
    c1, c2 = st.columns(2)
    layer = pick_layer(c1, layers, key, default_layer)
    head = c2.selectbox(
        "Head",
        [None, *range(heads)],
        format_func=lambda h: MEAN if h is None else f"head {h + 1}",
        key=f"{key}_head",
    )
    return layer, head


def pick(attention: np.ndarray, layer: int, head: int | None) -> np.ndarray:
    return attention[layer].mean(axis=0) if head is None else attention[layer, head]


def render_heatmap(stack: Stack, key: str) -> None:
    """One layer's head (or the heads' mean) as a query × key heat map."""
    layer, head = layer_and_head(stack, key)
    attention, queries, keys = stack.shown()
    which = MEAN if head is None else f"head {head + 1}"
    st.plotly_chart(
        attention_heatmap(
            pick(attention, layer, head),
            queries,
            keys,
            f"{stack.name}: layer {layer + 1}, {which}",
        ),
        key=f"{key}_chart",
        width="stretch",
    )


def render_model_view(stack: Stack, key: str) -> None:
    """Every layer × head at once (BertViz's model view), as thumbnails."""
    attention, queries, keys = stack.shown()
    caption = "Rows are layers, columns heads; hover a cell for its tokens and weight."
    if max(len(queries), len(keys)) > THUMBNAIL_TOKENS:
        caption += (
            f" With more than {THUMBNAIL_TOKENS} tokens a thumbnail cell is the mean over a "
            "block of consecutive tokens; the heat map shows one head in full."
        )
    st.caption(caption)
    st.plotly_chart(
        model_view(attention, queries, keys, stack.name), key=f"{key}_chart", width="stretch"
    )


def render_head_view(stack: Stack, key: str) -> None:
    """Token-to-token lines of one layer and the chosen heads (BertViz's head view)."""
    layers, heads = stack.attention.shape[:2]
    attention, queries, keys = stack.shown()
    c1, c2, c3 = st.columns([1, 2, 2])
    layer = pick_layer(c1, layers, key)
    chosen = c2.multiselect(
        "Heads",
        list(range(heads)),
        default=list(range(heads)),
        format_func=lambda h: f"head {h + 1}",
        key=f"{key}_heads",
    )
    # Long inputs start with one token's lines: every line of 256 tokens × 8 heads is
    # hundreds of thousands of segments, unreadable and slow in the browser.
    focus = c3.selectbox(
        "Lines from",
        [None, *range(len(queries))],
        index=0 if len(queries) <= HEAD_VIEW_TOKENS else 1,
        format_func=lambda i: "every token" if i is None else f"{i}: {queries[i]}",
        key=f"{key}_focus",
    )
    st.caption(
        "Left: the attending tokens; right: the tokens attended to. A line's opacity is its "
        "weight (lines under 0.01 are left out); colours are heads."
    )
    st.plotly_chart(
        head_view(attention[layer], queries, chosen, focus, keys),
        key=f"{key}_chart",
        width="stretch",
    )


def pick_layer(container, layers: int, key: str, default: int | None = None) -> int:
    """A "Layer" select box in ``container`` (numbered from 1), the last layer by default."""
    return container.selectbox(
        "Layer",
        list(range(layers)),
        index=layers - 1 if default is None else default,
        format_func=lambda i: f"layer {i + 1}",
        key=f"{key}_layer",
    )
