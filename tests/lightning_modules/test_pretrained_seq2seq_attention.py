"""The attention explorer on pretrained encoder–decoder runs: a tiny T5 fine-tuned on the
built-in copy task (in full and with LoRA). Its maps are the model's own: encoder, decoder
and cross-attention equal an eager ``AutoModelForSeq2SeqLM`` loaded on its own from the
run's export; the command writes them and the Look inside page shows the alignment."""

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForSeq2SeqLM

from dashboard.services import common
from lightning_modules.inspection import (
    DatasetSamples,
    extract,
    extract_batch,
    load_run,
    text_example,
)
from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.pretrained.export import export_model
from paretolab.cli import main
from paretolab.executors import local
from paretolab.store import RunStore
from tests.conftest import TrainedRuns, _use_home, queue_run
from tests.dashboard.conftest import open_page
from tests.dashboard.test_attention_page import PAGE
from tests.lightning_modules.test_pretrained_seq2seq import t5_copy_config
from tests.tiny_hf import save_tiny_model

TOLERANCE = 1e-5
_TRAINED: dict[str, TrainedRuns] = {}


@pytest.fixture
def t5_runs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A home with a full and a LoRA T5 run on copy (trained once per process)."""
    if "runs" not in _TRAINED:
        _TRAINED["runs"] = _train(tmp_path_factory.mktemp("t5attn"))
    _use_home(monkeypatch, _TRAINED["runs"].home)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return _TRAINED["runs"]


def _train(root: Path) -> TrainedRuns:
    from lightning_modules.run.train import run_training

    home, ids = root / "home", {}
    with pytest.MonkeyPatch.context() as mp:
        _use_home(mp, home)
        mp.setenv("HF_HUB_OFFLINE", "1")
        store = RunStore()
        folder = save_tiny_model("t5", root / "t5")
        for finetune in ("full", "lora"):
            config = t5_copy_config(folder, finetune, num_beams=1)
            ids[finetune] = queue_run(store, config)
            assert run_training(store, ids[finetune]) == "finished", store.get_run(ids[finetune])
    return TrainedRuns(home, ids)


def independent(run: LoadedRun, folder: Path) -> torch.nn.Module:
    """The run exported (LoRA: adapters merged) and loaded again with eager attention."""
    export_model(run.run_id, folder, run.checkpoint)
    return AutoModelForSeq2SeqLM.from_pretrained(folder, attn_implementation="eager").eval()


def assert_maps_are_the_models(run: LoadedRun, maps, source: torch.Tensor, folder: Path):
    model = independent(run, folder)
    target_in = [run.target_tokenizer.token_to_id(t) for t in maps.target_tokens]
    with torch.no_grad():
        out = model(
            input_ids=source[None],
            decoder_input_ids=torch.tensor([target_in]),
            output_attentions=True,
        )
        greedy = model.generate(
            input_ids=source[None], max_new_tokens=run.task.hparams.max_target_tokens
        )[0, 1:]
    for got, expected in (
        (maps.attention, out.encoder_attentions),
        (maps.decoder_attention, out.decoder_attentions),
        (maps.cross_attention, out.cross_attentions),
    ):
        expected = torch.stack(expected)[:, 0].numpy()  # (L, H, T_q, T_k)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=TOLERANCE, rtol=0)
        np.testing.assert_allclose(got.sum(-1), 1.0, atol=TOLERANCE)
    n_out = len(maps.output_tokens)
    assert greedy[:n_out].tolist() == [
        run.target_tokenizer.token_to_id(t) for t in maps.output_tokens
    ]
    assert maps.fast_path_max_diff < TOLERANCE  # the eager pass = training's SDPA model
    assert run.task.model.config._attn_implementation == "sdpa"  # switched back afterwards


@pytest.mark.slow
@pytest.mark.parametrize("finetune", ["full", "lora"])
def test_a_t5s_three_attentions_are_its_own_eager_attention(
    t5_runs: TrainedRuns, finetune: str, tmp_path: Path
) -> None:
    run = load_run(t5_runs.ids[finetune], "best")
    example = text_example(run, "4321")
    maps = extract(run, example)
    assert maps.family == "pretrained" and maps.task == "seq2seq"
    assert example.ids.tolist() == run.tokenizer.encode("4321").ids  # as the data encodes
    assert not maps.special.any()  # the tiny T5's tokenizer adds no </s> to the source
    assert maps.target_tokens[0] == "<pad>" and bool(maps.target_special[0])  # decoder start
    assert maps.target_tokens[1:] == maps.output_tokens[:-1]  # teacher forcing
    assert "</s>" not in maps.output_tokens[:-1]  # cut after the end token, if one came
    assert "</s>" not in maps.prediction and "<pad>" not in maps.prediction
    u, t = len(maps.output_tokens), len(maps.tokens)
    assert maps.cross_attention.shape[-2:] == (u, t)
    upper = np.triu(np.ones((u, u), dtype=bool), k=1)
    assert np.all(maps.decoder_attention[..., upper] == 0.0)
    np.testing.assert_allclose(maps.rollout.sum(-1), 1.0, atol=TOLERANCE)
    np.testing.assert_allclose(maps.decoder_rollout.sum(-1), 1.0, atol=TOLERANCE)
    assert_maps_are_the_models(run, maps, example.ids, tmp_path / "export")


@pytest.mark.slow
def test_samples_batch_with_padding_and_keep_their_reference(t5_runs: TrainedRuns) -> None:
    run = load_run(t5_runs.ids["lora"], "last")
    sample = DatasetSamples(run).example("val", 0)
    assert sample.reference.isdigit()  # the target text, without <pad> or </s>
    short = text_example(run, "7")
    batched = extract_batch(run, [sample, short])  # the short source is padded
    alone = extract(run, short)
    assert batched[1].output_tokens == alone.output_tokens
    for name in ("attention", "decoder_attention", "cross_attention"):
        np.testing.assert_allclose(
            getattr(batched[1], name), getattr(alone, name), atol=1e-6, err_msg=name
        )
    assert batched[0].source == "val sample 0" and batched[0].reference == sample.reference


@pytest.mark.slow
def test_the_command_writes_a_t5_runs_arrays(t5_runs: TrainedRuns, tmp_path: Path, capsys) -> None:
    out = tmp_path / "maps.npz"
    run_id = t5_runs.ids["full"]
    assert main(["attention", str(run_id), "--text", "123", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out) and "prediction: " in captured.err
    with np.load(out, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    assert str(arrays["family"]) == "pretrained" and str(arrays["task"]) == "seq2seq"
    u, t = len(arrays["output_tokens"]), len(arrays["tokens"])
    assert arrays["cross_attention"].shape[-2:] == (u, t)
    assert arrays["decoder_attention"].shape[-2:] == (u, u)


@pytest.mark.slow
def test_the_page_shows_a_t5_runs_cross_attention_alignment(
    t5_runs: TrainedRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "ensure_executor", lambda store: None)
    common.get_store.clear()
    try:
        at = open_page(PAGE, run=str(t5_runs.ids["lora"]))
        tabs = [t.label for t in at.tabs]
        assert tabs == ["Alignment", "Heat map", "Model view", "Head view", "Rollout"]
        assert any("transformers' eager attention" in i.value for i in at.info)
        assert "val sample 0" in at.markdown[0].value and "reference" in at.markdown[0].value
        at.radio(key="attn_stack").set_value("cross-attention").run()
        at.radio(key="attn_input").set_value("typed text").run()
        at.text_area(key="attn_text").input("9876").run()
        assert not at.exception
        at.toggle(key="attn_special").set_value(False).run()  # hides the decoder start
        assert not at.exception
        assert "typed text" in at.markdown[0].value
    finally:
        common.get_store.clear()
