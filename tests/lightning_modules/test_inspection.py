"""The attention explorer's data: loaded runs, explicit-path maps, rollout, saliency, .npz."""

import io

import numpy as np
import pytest
import torch

from lightning_modules.inspection import (
    DatasetSamples,
    attention_rollout,
    extract,
    extract_batch,
    image_example,
    load_npz,
    load_run,
    save_npz,
    text_example,
)
from lightning_modules.inspection.loading import available_checkpoints
from lightning_modules.inspection.saliency import captured_output, input_x_gradient
from paretolab.errors import UserError
from tests.conftest import TrainedRuns

FAMILIES = ["encoder_classifier", "decoder_lm", "vit", "encoder_decoder"]


def every_stack(maps) -> list[np.ndarray]:
    stacks = [maps.attention]
    if maps.cross_attention is not None:
        stacks += [maps.decoder_attention, maps.cross_attention]
    return stacks


def sample_maps(trained: TrainedRuns, family: str, index: int = 0):
    run = load_run(trained.ids[family], "best")
    return run, extract(run, DatasetSamples(run).example("val", index))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_gives_probabilities_that_match_the_fast_path(
    trained_home: TrainedRuns, family: str
) -> None:
    run, maps = sample_maps(trained_home, family)
    assert maps.family == family and maps.source == "val sample 0" and maps.prediction
    config = run.config.model
    T = len(maps.tokens)
    assert maps.attention.shape == (config.n_layers, config.n_heads, T, T)
    for stack in every_stack(maps):
        np.testing.assert_allclose(stack.sum(-1), 1.0, atol=1e-5)  # each row: probabilities
        assert stack.min() >= 0.0
    np.testing.assert_allclose(maps.rollout.sum(-1), 1.0, atol=1e-5)
    # The explicit path computes the model's own outputs, not a look-alike.
    assert maps.fast_path_max_diff < 1e-4


@pytest.mark.parametrize("family", ["decoder_lm", "encoder_decoder"])
def test_causal_attention_is_exactly_zero_above_the_diagonal(
    trained_home: TrainedRuns, family: str
) -> None:
    _, maps = sample_maps(trained_home, family)
    causal = maps.attention if family == "decoder_lm" else maps.decoder_attention
    upper = np.triu(np.ones(causal.shape[-2:], dtype=bool), k=1)
    assert upper.any() and np.all(causal[..., upper] == 0.0)
    rollout = maps.rollout if family == "decoder_lm" else maps.decoder_rollout
    assert np.all(rollout[upper] == 0.0)


def test_padding_gets_zero_weight_and_is_cut_without_changing_anything(
    trained_home: TrainedRuns,
) -> None:
    run = load_run(trained_home.ids["encoder_classifier"], "best")
    long, short = (
        text_example(run, t)
        for t in ("the government said the economy grew strongly", "shares fell")
    )
    ids = torch.zeros(2, len(long.ids), dtype=torch.long)
    ids[0], ids[1, : len(short.ids)] = long.ids, short.ids
    with torch.no_grad():
        _, weights = run.model.encoder(ids, ids != 0, return_weights=True)
    for layer in weights:  # padded keys of the short text get exactly nothing
        assert torch.all(layer[1, :, :, len(short.ids) :] == 0.0)
    batched = extract_batch(run, [long, short])[1]
    alone = extract(run, short)
    assert batched.tokens == alone.tokens and len(alone.tokens) == len(short.ids)
    np.testing.assert_allclose(batched.attention, alone.attention, atol=1e-6)
    np.testing.assert_allclose(batched.saliency, alone.saliency, rtol=1e-4, atol=1e-6)
    unchecked = extract(run, short, check_fast_path=False)  # the same maps, no second pass
    assert np.isnan(unchecked.fast_path_max_diff) and not np.isnan(alone.fast_path_max_diff)
    np.testing.assert_array_equal(unchecked.attention, alone.attention)


def test_rollout_matches_a_two_layer_example_by_hand() -> None:
    # One head per layer, two tokens.
    a1 = np.array([[0.5, 0.5], [0.2, 0.8]])
    a2 = np.array([[1.0, 0.0], [0.6, 0.4]])
    # With the residual: 0.5·A + 0.5·I (rows already sum to 1).
    r1 = np.array([[0.75, 0.25], [0.1, 0.9]])
    r2 = np.array([[1.0, 0.0], [0.3, 0.7]])
    # R = r2 · r1, worked out: row 2 = 0.3·(0.75, 0.25) + 0.7·(0.1, 0.9) = (0.295, 0.705).
    expected = np.array([[0.75, 0.25], [0.295, 0.705]])
    np.testing.assert_allclose(r2 @ r1, expected)
    got = attention_rollout(np.stack([a1[None], a2[None]]))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_rollout_averages_heads_and_renormalises_rows() -> None:
    # Two heads that disagree average to uniform attention; the identity keeps half.
    heads = np.array([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    np.testing.assert_allclose(
        attention_rollout(heads[None]), [[0.75, 0.25], [0.25, 0.75]], atol=1e-6
    )
    # Rows that do not sum to 1 (e.g. special tokens cut out) are renormalised.
    partial = np.array([[[[0.4, 0.0], [0.0, 0.4]]]])
    np.testing.assert_allclose(attention_rollout(partial), np.eye(2), atol=1e-6)
    with pytest.raises(ValueError, match="layers, heads, T, T"):
        attention_rollout(np.ones((2, 3, 3)))


def test_signed_saliency_is_the_slope_of_the_score_when_a_token_is_scaled(
    trained_home: TrainedRuns,
) -> None:
    run = load_run(trained_home.ids["encoder_classifier"], "best")
    example = text_example(run, "the minister will announce new taxes")
    maps = extract(run, example)
    model, ids = run.model, example.ids[None]
    predicted = int(torch.argmax(model(ids)))

    def score_with_token_scaled(t: int, alpha: float) -> float:
        def scale(_m, _i, out):
            out = out.clone()
            out[:, t] *= alpha
            return out

        handle = model.encoder.embed.register_forward_hook(scale)
        try:
            with torch.no_grad():
                return float(model(ids)[0, predicted])
        finally:
            handle.remove()

    eps = 1e-3
    for t in range(len(example.ids)):
        slope = (score_with_token_scaled(t, 1 + eps) - score_with_token_scaled(t, 1 - eps)) / (
            2 * eps
        )
        assert maps.saliency_signed[t] == pytest.approx(slope, rel=0.05, abs=2e-3)
    assert np.all(maps.saliency >= np.abs(maps.saliency_signed) / np.sqrt(32) - 1e-6)


def test_saliency_leaves_no_gradients_on_the_model() -> None:
    layer = torch.nn.Linear(4, 1)
    x = torch.randn(2, 3, 4, requires_grad=True)
    with captured_output(layer) as out:
        score = layer(x).sum(dim=(1, 2))
    l2, signed = input_x_gradient(x, score)
    assert out["output"].shape == (2, 3, 1) and layer.weight.grad is None
    expected = (x * layer.weight[0]).detach()
    torch.testing.assert_close(signed, expected.sum(-1))
    torch.testing.assert_close(l2, expected.norm(dim=-1))


def test_text_and_images_as_the_run_reads_them(trained_home: TrainedRuns) -> None:
    from PIL import Image

    text_run = load_run(trained_home.ids["encoder_classifier"], "last")
    ex = text_example(text_run, "word " * 200)
    assert len(ex.ids) == text_run.config.data.max_length and "truncated" in ex.notes[0]
    vit = load_run(trained_home.ids["vit"], "best")
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (255, 255, 255)).save(buffer, format="PNG")
    image = image_example(vit, buffer.getvalue(), invert=True)
    assert image.pixels.shape == (1, 8, 8) and float(image.pixels.max()) == 0.0
    assert image.notes == ["resized from 32×24 to 8×8 pixels"]
    maps = extract(vit, image)
    assert maps.tokens[:2] == ["[CLS]", "r0c0"] and maps.patch_grid == (4, 4)
    assert maps.special.tolist() == [True] + [False] * 16 and maps.saliency.shape == (17,)
    with pytest.raises(UserError, match="reads images, not text"):
        text_example(vit, "hello")
    with pytest.raises(UserError, match="reads text, not images"):
        image_example(text_run, buffer.getvalue())
    with pytest.raises(UserError, match="not a readable image"):
        image_example(vit, b"not an image")


def test_a_masked_lm_guesses_the_masked_tokens_and_matches_its_fast_path(
    trained_home: TrainedRuns,
) -> None:
    run = load_run(trained_home.ids["masked_lm"], "best")
    maps = extract(run, text_example(run, "the [MASK] said on monday"))
    assert maps.tokens[1] == "[MASK]" and maps.prediction.startswith("1: ")
    assert maps.fast_path_max_diff < 1e-4 and maps.saliency is None
    sample = extract(run, DatasetSamples(run).example("val", 0))
    assert sample.reference  # the tokens the masks hide, by position
    np.testing.assert_allclose(sample.attention.sum(-1), 1.0, atol=1e-5)


def test_seq2seq_maps_align_generated_tokens_with_the_source(trained_home: TrainedRuns) -> None:
    run, maps = sample_maps(trained_home, "encoder_decoder")
    U, T = len(maps.output_tokens), len(maps.tokens)
    assert maps.target_tokens[0] == "[CLS]" and maps.target_tokens[1:] == maps.output_tokens[:-1]
    assert maps.cross_attention.shape == (1, 2, U, T)
    assert maps.decoder_attention.shape == (1, 2, U, U) and maps.reference


def test_unknown_runs_checkpoints_and_samples_are_user_errors(trained_home: TrainedRuns) -> None:
    with pytest.raises(UserError, match="no run with id 99"):
        load_run(99)
    run_id = trained_home.ids["decoder_lm"]
    assert available_checkpoints(run_id) == ["best", "last"]
    with pytest.raises(UserError, match="checkpoint must be best or last"):
        load_run(run_id, "first")
    with pytest.raises(UserError, match="not cross-validated"):
        load_run(run_id, fold=1)
    samples = DatasetSamples(load_run(run_id))
    with pytest.raises(UserError, match=r"the test split has samples 0–\d+; 100000 does not"):
        samples.example("test", 100000)


def test_a_missing_checkpoint_names_the_other_one(trained_home: TrainedRuns, tmp_path) -> None:
    from paretolab import settings

    run_id = trained_home.ids["encoder_classifier"]
    best = settings.run_dir(run_id) / "checkpoints" / "best.ckpt"
    moved = tmp_path / "best.ckpt"
    best.rename(moved)
    try:
        with pytest.raises(UserError, match="has no best checkpoint .*; use --checkpoint=last"):
            load_run(run_id, "best")
    finally:
        moved.rename(best)


def test_maps_round_trip_through_npz_without_pickle(trained_home: TrainedRuns, tmp_path) -> None:
    _, maps = sample_maps(trained_home, "encoder_decoder")
    path = save_npz(maps, tmp_path / "maps")
    assert path.name == "maps.npz"
    back = load_npz(path)
    assert back.tokens == maps.tokens and back.output_tokens == maps.output_tokens
    assert back.prediction == maps.prediction and back.notes == []
    np.testing.assert_array_equal(back.cross_attention, maps.cross_attention)
    assert back.fast_path_max_diff == pytest.approx(maps.fast_path_max_diff)
