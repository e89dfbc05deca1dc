"""``benchmarks/gpu_train.py`` without a GPU: its refusal, arguments, table and results file."""

from __future__ import annotations

import pytest

from benchmarks import common, gpu_train
from paretolab.config.io import load_config

RUN = gpu_train.Row("paretolab train configs/gpt2_small_gpu.yaml", 480_000.0, 0.452, "run 1")
STANDALONE = gpu_train.Row("benchmarks/gpu.py (compiled, flash, batch 64)", 500_000.0, 0.47, "")


def test_it_refuses_without_a_cuda_device(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.fail("this test checks the CPU-only path; run it where there is no CUDA device")
    assert gpu_train.main([]) == 2
    assert "gpu_train: refused: no CUDA device here" in capsys.readouterr().err


def test_arguments() -> None:
    args = gpu_train.parse_args(["--batch", "16", "--no-fsdp"])
    assert (args.batch, args.steps, args.no_fsdp) == (16, 300, True)
    assert gpu_train.parse_args(["--quick"]).steps == 60
    with pytest.raises(SystemExit):
        gpu_train.parse_args(["--steps", "5"])


def test_the_table_compares_each_path_with_the_standalone_script() -> None:
    fsdp = gpu_train.Row("paretolab train, hardware.strategy=fsdp (tiny GPT-2)", 0.0, None, "ok")
    text = gpu_train.table([RUN, STANDALONE, fsdp])
    lines = text.splitlines()
    assert lines[0].startswith("| path | tokens/s | MFU | vs standalone tokens/s")
    assert "| 480,000 | 45.2% | 0.96× | run 1 |" in lines[2]
    assert "| 500,000 | 47.0% | — |" in lines[3]
    assert "| — | n/a | — | ok |" in lines[4]


def test_the_verdict_judges_both_goals() -> None:
    assert gpu_train.verdict(RUN, STANDALONE) == (
        "`paretolab train`: MFU 45.2% (goal ≥ 45%: met), tokens/s 0.96× the standalone "
        "script's (goal ≥ 0.95: met)."
    )
    slow = gpu_train.Row(RUN.path, 400_000.0, 0.38, "")
    assert gpu_train.verdict(slow, STANDALONE).count("NOT met") == 2


def test_results_are_written_with_date_machine_and_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    path = common.publish("gpu_train", gpu_train.table([RUN, STANDALONE]), "notes here")
    text = path.read_text()
    assert path.name.startswith("gpu_train-") and "- date: " in text and "- machine: " in text
    assert "- command: `" in text and "| 480,000 | 45.2% |" in text and "notes here" in text


def test_the_fsdp_rows_config_validates(tmp_path) -> None:
    config = tmp_path / "fsdp.yaml"
    config.write_text(gpu_train.FSDP_CONFIG.format(folder=tmp_path / "tiny-gpt2"))
    cfg = load_config(config)
    assert (cfg.hardware.strategy, cfg.trainer.precision) == ("fsdp", "bf16-mixed")
    assert cfg.model.is_pretrained() and cfg.model.finetune == "full"


@pytest.mark.slow
def test_the_standalone_row_runs_gpu_py_compiled_at_the_runs_vocabulary() -> None:
    from benchmarks import gpu

    row = gpu_train.standalone_row(2, 300, 3, 1e6, 1e12, device="cpu", layers=gpu.TINY)
    assert row.path == "benchmarks/gpu.py (compiled, flash, batch 2)"
    assert row.tokens_per_s > 0 and row.mfu == pytest.approx(row.tokens_per_s * 1e6 / 1e12)
    assert "3 timed steps after 5 warm-up" in row.notes
