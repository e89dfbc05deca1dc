"""The attention explorer's summaries: rollout and saliency per token, the encoder–decoder
alignment, and a ViT's patch maps over its image. Draw only, like ``attention_panels``."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard.components.attention_figures import attention_heatmap, patch_overlay, token_bars
from dashboard.components.attention_panels import (
    MEAN,
    Stack,
    display,
    layer_and_head,
    pick,
    pick_layer,
)


def _rollout_source(maps) -> int | None:
    """Whose rollout to show first: what the model reads its answer from."""
    tokens = list(maps.tokens)
    if maps.task in ("classification", "regression", "image_classification"):
        if maps.pooling == "mean":  # a pretrained run's tokens start with [CLS] too
            return None
        return 0 if tokens[0] == "[CLS]" else None  # [CLS] pooling; else the mean
    if maps.task == "language_modeling":
        return len(tokens) - 1  # the position that predicts the next token
    if maps.task == "masked_lm" and "[MASK]" in tokens:
        return tokens.index("[MASK]")
    return None


def render_rollout(maps, show_special: bool, key: str) -> None:
    """Rollout to the input tokens, and saliency beside it where the run is a classifier."""
    tokens = [display(t) for t in maps.tokens]
    keep = np.ones(len(tokens), bool) if show_special else ~maps.special
    shown = [t for t, k in zip(tokens, keep, strict=True) if k]
    default = _rollout_source(maps)
    options = [None, *range(len(tokens))]
    source = st.selectbox(
        "Rollout of",
        options,
        index=options.index(default),
        format_func=lambda i: "the mean of all positions" if i is None else f"{i}: {tokens[i]}",
        key=f"{key}_source",
    )
    row = maps.rollout.mean(axis=0) if source is None else maps.rollout[source]
    columns = st.columns(2) if maps.saliency is not None else [st.container()]
    with columns[0]:
        st.plotly_chart(
            token_bars(row[keep], shown, "attention rollout to the input tokens", "share"),
            key=f"{key}_rollout",
            width="stretch",
        )
    if maps.saliency is not None:
        with columns[1]:
            kind = st.radio(
                "Saliency", ["L2 norm", "signed sum"], horizontal=True, key=f"{key}_saliency_kind"
            )
            values = maps.saliency if kind == "L2 norm" else maps.saliency_signed
            st.plotly_chart(
                token_bars(values[keep], shown, "input × gradient saliency", kind),
                key=f"{key}_saliency",
                width="stretch",
            )
    caption = (
        "Rollout (Abnar & Zuidema 2020): per layer the heads' mean plus the residual identity, "
        "0.5·A + 0.5·I, rows renormalised, multiplied through the layers."
    )
    if maps.saliency is not None:
        caption += (
            " Saliency: the embedding output times the gradient of the predicted score; the "
            "signed sum is the first-order change of the score when a token's embedding shrinks."
        )
    if not show_special:
        caption += " With special tokens hidden, the rollout bars no longer sum to 1."
    st.caption(caption)
    with st.expander("Full rollout matrix"):
        full = maps.rollout[keep][:, keep]
        st.plotly_chart(
            attention_heatmap(full, shown, shown, "rollout", "position", "input token"),
            key=f"{key}_matrix",
            width="stretch",
        )
        if maps.decoder_rollout is not None:
            target = [display(t) for t in maps.target_tokens]
            st.plotly_chart(
                attention_heatmap(
                    maps.decoder_rollout, target, target, "decoder self-attention rollout"
                ),
                key=f"{key}_decoder_matrix",
                width="stretch",
            )


def render_alignment(stack: Stack, key: str) -> None:
    """Cross-attention as an alignment matrix: generated target token × source token."""
    layer, head = layer_and_head(stack, key)
    attention, outputs, sources = stack.shown()
    which = MEAN if head is None else f"head {head + 1}"
    st.caption(
        "Row: the target token the decoder generated (greedily) at that step; column: the "
        "source token its cross-attention read."
    )
    st.plotly_chart(
        attention_heatmap(
            pick(attention, layer, head),
            outputs,
            sources,
            f"alignment: layer {layer + 1}, {which}",
            "generated token",
            "source token",
        ),
        key=f"{key}_chart",
        width="stretch",
    )


def render_image(maps, key: str) -> None:
    """A ViT's [CLS] attention, rollout and saliency as patch heat maps over the image."""
    rows, cols = maps.patch_grid
    layers, heads = maps.attention.shape[:2]
    c1, c2, c3 = st.columns(3)
    layer = pick_layer(c1, layers, key)
    head = c2.selectbox(
        "Head",
        [None, *range(heads)],
        format_func=lambda h: MEAN if h is None else f"head {h + 1}",
        key=f"{key}_head",
    )
    opacity = c3.slider("Overlay opacity", 0.0, 1.0, 0.55, 0.05, key=f"{key}_opacity")
    cls_row = pick(maps.attention, layer, head)[0, 1:].reshape(rows, cols)
    which = MEAN if head is None else f"head {head + 1}"
    panels = [
        (None, "the image"),
        (cls_row, f"[CLS] attention, layer {layer + 1}, {which}"),
        (maps.rollout[0, 1:].reshape(rows, cols), "[CLS] rollout"),
        (maps.saliency[1:].reshape(rows, cols), "input × gradient (L2)"),
    ]
    for column, (values, title) in zip(st.columns(4), panels, strict=True):
        with column:
            overlaid = values if values is not None else np.zeros((rows, cols))
            st.plotly_chart(
                patch_overlay(maps.image, overlaid, title, opacity if values is not None else 0.0),
                key=f"{key}_{title}",
                width="stretch",
            )
    st.caption(
        f"The image is cut into {rows}×{cols} patches; each patch is coloured by the weight "
        "the [CLS] token (whose final state feeds the classifier) gives it. The [CLS] token's "
        "attention to itself is left out."
    )
