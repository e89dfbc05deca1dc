"""`paretolab cost estimate`'s bad input: one line naming the problem, exit code 2, no
traceback, nothing stored (the style of test_bad_input.py)."""

from __future__ import annotations

import json

import pytest

from tests.bad_input.test_bad_input import assert_refused

LLAMA = {
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "vocab_size": 100,
}
MIXTRAL = {**LLAMA, "model_type": "mixtral", "num_local_experts": 4, "num_experts_per_tok": 2}

CONFIG_FILES = [
    ("not JSON", "{model_type: llama", "not JSON"),
    ("a JSON list", "[1, 2]", "expected a JSON object"),
    ("no hidden_size", {k: v for k, v in LLAMA.items() if k != "hidden_size"}, "'hidden_size'"),
    ("a width that is text", {**LLAMA, "hidden_size": "wide"}, "hidden_size='wide'"),
    ("an unknown model type", {**LLAMA, "model_type": "mamba"}, "known: bert, gemma, gpt2"),
    ("more experts per token", {**MIXTRAL, "num_experts_per_tok": 5}, "experts_per_token=5"),
    ("K/V heads that do not divide", {**LLAMA, "num_key_value_heads": 3}, "n_kv_heads=3"),
]


@pytest.mark.parametrize(
    "content, fragment", [c[1:] for c in CONFIG_FILES], ids=[c[0] for c in CONFIG_FILES]
)
def test_a_bad_hf_config(tmp_path, content, fragment, capsys, store) -> None:
    path = tmp_path / "config.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    argv = ["cost", "estimate", "--hf-config", str(path), "--tokens", "1M"]
    assert_refused(argv, fragment, capsys, store)


ARGUMENTS = [
    ("zero tokens", ["--params", "7B", "--tokens", "0"], "--tokens must be a positive number"),
    ("negative tokens", ["--params", "7B", "--tokens=-2T"], "positive number, got -2e+12"),
    ("negative tokens, spaced", ["--params", "7B", "--tokens", "-1000"], "got -1000"),
    ("an unknown unit", ["--params", "7X", "--tokens", "2T"], "'7X' is not a count"),
    ("no N and no architecture", ["--tokens", "2T"], "give --params"),
    ("an unknown preset", ["--preset", "gpt-5", "--tokens", "1T"], "known; choose one of"),
    ("a missing HF config", ["--hf-config", "/nonexistent/x.json"], "no such file"),
    ("two architectures", ["--preset", "gpt2", "--layers", "2", "--tokens", "1M"], "not --preset"),
    (
        "more experts per token than experts",
        ["--layers", "2", "--d-model", "64", "--heads", "4", "--vocab", "100", "--seq-len", "16"]
        + ["--num-experts", "4", "--experts-per-token", "8", "--tokens", "1M"],
        "experts_per_token=8 must be between 1 and num_experts=4",
    ),
    ("an unknown grid", ["--params", "7B", "--tokens", "2T", "--grid", "mars"], "'mars'"),
    ("a PUE below 1", ["--params", "7B", "--tokens", "2T", "--pue", "0.5"], "PUE must be"),
    ("no power", ["--params", "7B", "--tokens", "2T", "--tdp", "0"], "positive watts"),
    ("LoRA without a shape", ["--params", "7B", "--tokens", "1M", "--finetune", "lora"], "needs"),
    (
        "frozen layers beyond the model",
        ["--preset", "gpt2", "--tokens", "1M", "--finetune", "freeze", "--freeze-layers", "99"],
        "freeze_layers=99",
    ),
]


@pytest.mark.parametrize(
    "args, fragment", [c[1:] for c in ARGUMENTS], ids=[c[0] for c in ARGUMENTS]
)
def test_bad_cost_arguments(args, fragment, capsys, store) -> None:
    try:
        assert_refused(["cost", "estimate", *args], fragment, capsys, store)
    except SystemExit as refused:  # argparse's own refusal of a value: same one line
        assert refused.code == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], lines
        assert lines[0].startswith("paretolab: error: ")
        assert store.list_runs() == []
