"""The attention figures draw what they are given: labels, weights, line opacities, blocks."""

import numpy as np

from dashboard.components.attention_figures import (
    attention_heatmap,
    head_view,
    model_view,
    patch_overlay,
)


def random_attention(*shape: int) -> np.ndarray:
    weights = np.random.default_rng(0).random(shape)
    return weights / weights.sum(-1, keepdims=True)


def test_heatmap_keeps_repeated_tokens_apart_and_hovers_both_tokens() -> None:
    tokens = ["the", "cat", "the", "mat"]
    fig = attention_heatmap(np.eye(4), tokens, tokens, "t")
    assert list(fig.layout.xaxis.ticktext) == tokens and len(fig.data[0].z) == 4
    assert fig.data[0].text[2][0] == "the → the" and fig.data[0].zmax == 1.0


def test_model_view_has_a_thumbnail_per_layer_and_head_and_pools_long_inputs() -> None:
    short = model_view(random_attention(2, 3, 5, 7), list("abcde"), list("ABCDEFG"), "cross")
    assert len(short.data) == 6 and np.asarray(short.data[0].z).shape == (5, 7)
    assert short.data[0].text[4][6] == "e → G"
    attention = random_attention(1, 2, 200, 200)
    tokens = [f"t{i}" for i in range(200)]
    pooled = model_view(attention, tokens, tokens, "long")
    z = np.asarray(pooled.data[1].z)
    assert z.shape == (50, 50)  # blocks of 4 tokens: at most 64 a side
    np.testing.assert_allclose(z[0, 0], attention[0, 1, :4, :4].mean())
    assert pooled.data[0].text[0][1] == "0–3 (t0 … t3) → 4–7 (t4 … t7)"


def test_head_view_draws_a_line_per_weight_at_its_opacity() -> None:
    attention = np.array([[[0.7, 0.295, 0.005], [0.0, 0.5, 0.5], [0.2, 0.2, 0.6]]])
    fig = head_view(attention, ["a", "b", "c"], heads=[0])
    lines = [t for t in fig.data if t.mode == "lines" and t.showlegend is False]
    drawn = {round(t.opacity, 1): (len(t.x) // 3) for t in lines}
    # 0.7 → 0.7; 0.295 → 0.3; 0.005 is left out; 0.5, 0.5 → 0.5; 0.2, 0.2 → 0.2; 0.6 → 0.6
    assert drawn == {0.7: 1, 0.3: 1, 0.5: 2, 0.2: 2, 0.6: 1}
    focused = head_view(attention, ["a", "b", "c"], heads=[0], focus=1)
    ys = [y for t in focused.data if t.mode == "lines" for y in t.y[0::3] if y is not None]
    assert ys and set(ys) == {-1.0}  # only token 1's lines


def test_patch_overlay_spreads_each_patch_over_its_pixels() -> None:
    image = np.zeros((1, 4, 4), dtype=np.float32)
    fig = patch_overlay(image, np.array([[0.1, 0.2], [0.3, 0.4]]), "cls")
    overlay = np.asarray(fig.data[1].z)
    assert overlay.shape == (4, 4) and overlay[0, 1] == 0.1 and overlay[3, 2] == 0.4
