"""``paretolab predict``: register → predict on PyTorch and on ONNX Runtime (the same
records), for every model family and a pretrained run; CSV/JSONL files; one-line errors.

The trained runs' home is shared by the session; each test registers its own model names.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lightning_modules.data.modules.classification import pad_batch, text_windows
from lightning_modules.data.tokenization import load_tokenizer
from lightning_modules.run.init_from import read_checkpoint
from lightning_modules.run.train import run_training
from lightning_modules.serving.predict import predict
from lightning_modules.tasks import restore_task
from lightning_modules.tasks.classification import per_text
from paretolab import model_registry, settings
from paretolab.cli import main
from tests.conftest import TrainedRuns, queue_run, tiny_config

INPUTS = {
    "encoder_classifier": ["the bank raised interest rates", "the team won the match"],
    "decoder_lm": ["to be or not"],
    "encoder_decoder": ["twenty one", "three"],
}


def inputs_for(family: str, tmp_path: Path) -> dict:
    if family != "vit":
        return {"texts": INPUTS[family]}
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray((rng.random((8, 8)) * 255).astype("uint8")).save(tmp_path / f"{i}.png")
    return {"input_path": str(tmp_path)}


def assert_same_records(ours: list[dict], theirs: list[dict]) -> None:
    assert [r["input"] for r in ours] == [r["input"] for r in theirs]
    for a, b in zip(ours, theirs, strict=True):
        if "score" in a:
            assert a["label"] == b["label"] and abs(a["score"] - b["score"]) < 1e-4
        else:
            assert a == b


@pytest.mark.slow
@pytest.mark.parametrize("family", ["encoder_classifier", "decoder_lm", "vit", "encoder_decoder"])
def test_pytorch_and_onnx_runtime_predict_the_same(
    trained_home: TrainedRuns, tmp_path: Path, family: str
) -> None:
    name = f"predict-{family}"
    model_registry.register_run(trained_home.ids[family], name)
    given = inputs_for(family, tmp_path)
    eager = predict(name, runtime="pytorch", progress=False, **given)
    onnx = predict(name, runtime="onnx", progress=False, **given)
    assert_same_records(onnx, eager)
    first = eager[0]
    if family in ("encoder_classifier", "vit"):
        assert len(first["top_k"]) == 3 and first["label"] == first["top_k"][0]["label"]
        assert first["score"] >= first["top_k"][1]["score"]
    else:
        assert isinstance(first["generated"], str)
    exports = settings.home_dir() / "exports" / name
    assert len(list(exports.glob("v1-*/model.onnx"))) == 1  # exported once, then reused


@pytest.mark.slow
def test_a_pretrained_run_predicts_the_same_on_both_runtimes(
    pretrained_runs: TrainedRuns,
) -> None:
    model_registry.register_run(pretrained_runs.ids["bert_lora"], "predict-bert")
    texts = {"texts": INPUTS["encoder_classifier"]}
    eager = predict("predict-bert", runtime="pytorch", progress=False, **texts)
    assert_same_records(predict("predict-bert", runtime="onnx", progress=False, **texts), eager)


def test_files_in_and_out_and_one_line_errors(trained_home: TrainedRuns, tmp_path, capsys) -> None:
    run_id = trained_home.ids["encoder_classifier"]
    model_registry.register_run(run_id, "files")
    table = tmp_path / "in.jsonl"
    table.write_text('{"text": "shares and profit"}\n{"text": "film star award"}\n')
    out = tmp_path / "out.csv"
    assert main(["predict", "files@latest", "--input", str(table), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["input"] for r in rows] == ["shares and profit", "film star award"]
    assert len(json.loads(rows[0]["top_k"])) == 3
    capsys.readouterr()
    assert main(["predict", "files", "--text", "a bank", "--top-k", "2"]) == 0
    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["input"] == "a bank" and len(record["top_k"]) == 2

    wrong = tmp_path / "wrong.csv"
    wrong.write_text("body,label\nhello,a\n")
    for argv, message in (
        (["predict", "files", "--input", str(wrong)], "no column 'text' (--column); the header"),
        (["predict", "nope", "--text", "x"], "no registered model 'nope'"),
        (["predict", "files:9", "--text", "x"], "model files has no version 9"),
        (["predict", "files@production", "--text", "x"], "model files has no alias @production"),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_a_version_whose_checkpoint_is_gone_says_so(store, tmp_path, capsys) -> None:
    from tests.paretolab.test_model_registry import run_with_checkpoints

    run_id = run_with_checkpoints(store)
    model_registry.register_run(run_id, "gone", store=store)
    (settings.run_dir(run_id) / "checkpoints" / "best.ckpt").unlink()
    assert main(["predict", "gone", "--text", "x"]) == 2
    err = capsys.readouterr().err
    assert "gone:1: its checkpoint" in err and "is missing" in err and err.count("\n") == 1


@pytest.mark.slow
def test_a_run_that_reads_whole_texts_predicts_from_the_same_windows(store) -> None:
    config = tiny_config("data.eval_windows=3", "data.max_length=16", "trainer.max_epochs=1")
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    model_registry.register_run(run_id, "windows", store=store)
    text = " ".join(["the bank raised interest rates after the results"] * 8)
    (record,) = predict("windows", runtime="pytorch", progress=False, texts=[text])
    # By hand: the run's own model on the text's three windows, their logits averaged.
    run_dir = settings.run_dir(run_id)
    task = restore_task(read_checkpoint(run_dir / "checkpoints" / "best.ckpt")).eval()
    windows = text_windows(load_tokenizer(run_dir / "tokenizer.json"), config, text)
    assert len(windows) == 3 and all(len(w) <= 16 for w in windows)
    batch = pad_batch([(windows, 0)])
    with torch.no_grad():
        probs = torch.softmax(per_text(task(batch), batch), dim=-1)[0]
    best = int(probs.argmax())
    assert record["label"] == task.hparams.class_names[best]
    assert abs(record["score"] - float(probs[best])) < 1e-5
