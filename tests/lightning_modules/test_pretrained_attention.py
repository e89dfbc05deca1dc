"""The attention explorer on pretrained (Hugging Face) runs: an eager-attention pass whose
maps are the model's own (``output_attentions=True`` of an eager copy loaded on its own),
with rollout, saliency and predictions, for BERT (full and LoRA), Llama, GPT-2 and ViT."""

from pathlib import Path

import numpy as np
import pytest
import torch
import transformers

from lightning_modules.data.tokenization import TOKENIZER_FILE, load_tokenizer
from lightning_modules.inspection import (
    DatasetSamples,
    extract,
    extract_batch,
    image_example,
    load_run,
    text_example,
)
from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.pretrained.finetune import apply_finetune
from lightning_modules.pretrained.kinds import kind_for
from lightning_modules.pretrained.loading import mean_pooled
from lightning_modules.pretrained.mean_pooling import MeanPooledClassifier
from lightning_modules.registry import build_data_module, build_task
from paretolab.cli import main
from paretolab.errors import UserError
from tests.conftest import REPO, TrainedRuns
from tests.pretrained_runs import pretrained_config, tiny_folder

TOLERANCE = 1e-5


def independent_eager(run: LoadedRun) -> torch.nn.Module:
    """The run's model loaded again from its checkpoint folder with eager attention, adapters
    applied as in training, and the run's trained weights copied in."""
    folder, config = Path(run.config.model.pretrained), run.config
    kind = kind_for(config.task)
    extra = {}
    if config.task in ("classification", "image_classification"):
        names = run.task.hparams.class_names
        extra = {"num_labels": len(names), "ignore_mismatched_sizes": True}
    elif config.task == "regression":
        extra = {"num_labels": 1, "ignore_mismatched_sizes": True}
    if mean_pooled(config):  # our head on the base model, built here on its own
        body = transformers.AutoModel.from_pretrained(folder, attn_implementation="eager")
        model = MeanPooledClassifier(body, extra["num_labels"])
    else:
        auto = getattr(transformers, kind.auto_class)
        model = auto.from_pretrained(folder, attn_implementation="eager", **extra)
    model = apply_finetune(model, config.model, kind)
    state = {k.removeprefix("model."): v for k, v in run.task.state_dict().items()}
    model.load_state_dict(state)
    return model.eval()


def assert_maps_are_the_models(run: LoadedRun, maps, inputs: dict) -> torch.Tensor:
    """The maps equal the independent eager model's attentions; returns its logits."""
    with torch.no_grad():
        out = independent_eager(run)(**inputs, output_attentions=True)
    expected = torch.stack(out.attentions)[:, 0].numpy()  # (L, H, T, T)
    assert maps.attention.shape == expected.shape
    np.testing.assert_allclose(maps.attention, expected, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(maps.attention.sum(-1), 1.0, atol=TOLERANCE)
    np.testing.assert_allclose(maps.rollout.sum(-1), 1.0, atol=TOLERANCE)
    assert maps.fast_path_max_diff < TOLERANCE  # the eager pass = training's SDPA model
    assert run.model.config._attn_implementation == "sdpa"  # switched back after the pass
    return out.logits[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bert", "bert_cls", "bert_lora"])
def test_a_text_classifiers_maps_are_its_own_eager_attention(
    pretrained_runs: TrainedRuns, name: str
) -> None:
    run = load_run(pretrained_runs.ids[name], "best")
    text = "the bank raised interest rates"
    example = text_example(run, text)
    # The checkpoint's tokenizer adds [CLS] … [SEP] itself: exactly one [CLS], none added.
    assert example.ids.tolist() == run.tokenizer.encode(text).ids
    maps = extract(run, example)
    assert maps.tokens[0] == "[CLS]" and maps.tokens[-1] == "[SEP]"
    assert maps.tokens.count("[CLS]") == 1
    assert maps.pooling == ("cls" if name == "bert_cls" else "mean")  # what the head reads
    assert maps.special.tolist() == [True] + [False] * (len(maps.tokens) - 2) + [True]
    logits = assert_maps_are_the_models(run, maps, {"input_ids": example.ids[None]})
    names = run.task.hparams.class_names
    assert maps.prediction.startswith(names[int(logits.argmax())] + " (")
    assert maps.saliency.shape == maps.saliency_signed.shape == (len(maps.tokens),)
    assert np.all(maps.saliency >= 0) and maps.saliency.max() > 0


@pytest.mark.slow
def test_dataset_samples_and_padding_in_a_batch(pretrained_runs: TrainedRuns) -> None:
    run = load_run(pretrained_runs.ids["bert_lora"], "last")
    sample = DatasetSamples(run).example("val", 0)
    assert run.tokenizer.id_to_token(int(sample.ids[0])) == "[CLS]"
    assert sample.reference in run.task.hparams.class_names
    short = text_example(run, "shares fell")
    batched = extract_batch(run, [sample, short])  # the short text is padded
    alone = extract(run, short)
    np.testing.assert_allclose(batched[1].attention, alone.attention, atol=1e-6)
    np.testing.assert_allclose(batched[1].saliency, alone.saliency, rtol=1e-4, atol=1e-7)
    assert batched[0].source == "val sample 0" and batched[0].reference == sample.reference
    # The adapters' weights stay without gradients: saliency asks for the input's only.
    assert all(p.grad is None for p in run.model.parameters())


@pytest.mark.slow
def test_a_causal_language_models_maps_are_causal_and_its_own(
    pretrained_runs: TrainedRuns,
) -> None:
    run = load_run(pretrained_runs.ids["llama"], "best")
    example = text_example(run, "To be, or not to be")
    maps = extract(run, example)
    upper = np.triu(np.ones(maps.attention.shape[-2:], dtype=bool), k=1)
    assert np.all(maps.attention[..., upper] == 0.0) and np.all(maps.rollout[upper] == 0.0)
    logits = assert_maps_are_the_models(run, maps, {"input_ids": example.ids[None]})
    assert maps.prediction == run.tokenizer.id_to_token(int(logits[-1].argmax()))
    assert maps.saliency is None


def built_run(tmp_path: Path, kind: str, task: str, data: dict) -> LoadedRun:
    """A run's task built as training builds it (fresh head, untrained), for the families
    the trained fixture leaves out."""
    config = pretrained_config(tiny_folder(tmp_path, kind), task, data)
    (tmp_path / "run").mkdir()
    module = build_data_module(config, tmp_path / "run")
    module.setup("fit")
    task_module = build_task(config, module).eval()
    saved = tmp_path / "run" / TOKENIZER_FILE  # the checkpoint's, saved as training saves it
    tokenizer = load_tokenizer(saved) if saved.is_file() else None
    return LoadedRun(0, "best", tmp_path, 0, config, task_module, tmp_path / "run", None, tokenizer)


def test_gpt2_maps_are_causal_and_its_own(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = {"dataset": "shakespeare", "limit_samples": 50, "max_length": 24}
    run = built_run(tmp_path, "gpt2", "language_modeling", data)
    example = text_example(run, "whether tis nobler in the mind")
    maps = extract(run, example)
    upper = np.triu(np.ones(maps.attention.shape[-2:], dtype=bool), k=1)
    assert np.all(maps.attention[..., upper] == 0.0)
    logits = assert_maps_are_the_models(run, maps, {"input_ids": example.ids[None]})
    assert maps.prediction == run.tokenizer.id_to_token(int(logits[-1].argmax()))


def test_a_vit_gives_patch_maps_with_its_cls_token(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = {"dataset": "digits", "limit_samples": 60, "batch_size": 16}
    run = built_run(tmp_path, "vit", "image_classification", data)
    assert run.reads_images
    example = DatasetSamples(run).example("val", 0)  # 8×8 grey digits; the ViT reads 16×16 RGB
    maps = extract(run, example)
    assert maps.patch_grid == (4, 4) and maps.tokens[:2] == ["[CLS]", "r0c0"]
    assert len(maps.tokens) == 17 and maps.special.tolist() == [True] + [False] * 16
    assert maps.image.shape == (3, 16, 16) and 0.0 <= maps.image.min() <= maps.image.max() <= 1
    assert maps.saliency.shape == (17,)
    pixel_values = run.task.pixel_values(example.pixels[None])
    logits = assert_maps_are_the_models(run, maps, {"pixel_values": pixel_values})
    assert maps.prediction.startswith(run.task.hparams.class_names[int(logits.argmax())])
    with pytest.raises(UserError, match="reads images, not text"):
        text_example(run, "a digit")
    png = _png(tmp_path)
    assert extract(run, image_example(run, png)).image.shape == (3, 16, 16)


def test_a_regressor_shows_its_value_on_the_data_scale(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = {
        "dataset": "file",
        "path": str(REPO / "examples" / "data" / "number_values.csv"),
        "text_column": "text",
        "label_column": "value",
        "max_length": 16,
    }
    run = built_run(tmp_path, "bert", "regression", data)
    example = text_example(run, "two hundred and twelve")
    maps = extract(run, example)
    logits = assert_maps_are_the_models(run, maps, {"input_ids": example.ids[None]})
    value = float(logits[0]) * run.task.target_std + run.task.target_mean
    assert float(maps.prediction) == pytest.approx(value, rel=1e-3)
    assert maps.saliency.shape == (len(maps.tokens),)


def _png(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "digit.png"
    Image.new("L", (8, 8), color=200).save(path)
    return path


@pytest.mark.slow
def test_the_command_writes_a_pretrained_runs_arrays(
    pretrained_runs: TrainedRuns, tmp_path: Path, capsys
) -> None:
    run_id = pretrained_runs.ids["bert"]
    out = tmp_path / "maps.npz"
    assert main(["attention", str(run_id), "--text", "oil prices rose", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out) and "prediction: " in captured.err
    with np.load(out, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    assert str(arrays["family"]) == "pretrained" and str(arrays["task"]) == "classification"
    assert arrays["tokens"][0] == "[CLS]" and arrays["tokens"][-1] == "[SEP]"
    T = len(arrays["tokens"])
    assert arrays["attention"].shape == (2, 4, T, T) and arrays["saliency"].shape == (T,)
    assert float(arrays["fast_path_max_diff"]) < TOLERANCE
    assert main(["attention", str(run_id), "--sample", "1", "--out", str(out)]) == 0
    assert "val sample 1" in capsys.readouterr().err


@pytest.mark.slow
def test_an_image_for_a_text_run_is_one_line_and_exit_code_2(
    pretrained_runs: TrainedRuns, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "maps.npz"
    argv = ["attention", str(pretrained_runs.ids["llama"]), "--image", str(_png(tmp_path))]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("paretolab: error:") and "reads text, not images" in err
    assert err.count("\n") == 1 and not out.exists()


@pytest.mark.slow
def test_a_classifier_stored_before_pooling_applied_loads_with_its_cls_head(
    pretrained_runs: TrainedRuns,
) -> None:
    """Checkpoints saved before ``model.pooling`` applied to pretrained runs say the old
    default (``mean``) though they trained the [CLS] head; migration 0017 rewrote only the
    store's copy, so the run loads by the store's value."""
    from lightning_modules.inspection import loading

    run = load_run(pretrained_runs.ids["bert_cls"], "best")
    saved = loading._read_safely(run.checkpoint_path)
    config = saved["hyper_parameters"]["config"]
    saved["hyper_parameters"]["config"] = {
        **config,
        "model": {**config["model"], "pooling": "mean"},
    }
    # Read as the checkpoint says, it would be rebuilt mean-pooled around the [CLS] head's
    # weights (their names match): a wrong model, silently.
    assert isinstance(loading._restored(saved, run.checkpoint_path).model, MeanPooledClassifier)
    stored = run.config.model_dump(mode="json")
    task = loading._restored(loading._with_migrated_fields(saved, stored), run.checkpoint_path)
    assert not isinstance(task.model, MeanPooledClassifier)
    ids = torch.tensor([run.tokenizer.encode("the bank raised interest rates").ids])
    with torch.no_grad():
        assert torch.equal(task.model(input_ids=ids).logits, run.task.model(input_ids=ids).logits)
