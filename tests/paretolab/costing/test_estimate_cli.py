"""`paretolab cost estimate`: GPT-3's Table D.1 within 2%, configs, bad input."""

import json

import pytest

from paretolab.cli import main
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import estimate as cost_estimate
from paretolab.costing.estimate import shape_from_numbers
from paretolab.errors import UserError
from tests.conftest import REPO, TINY

FILE_CONFIG = REPO / "configs" / "file_csv_tiny.yaml"

# GPT-3 paper, Table 2.1 shapes and Table D.1 training compute (300B tokens, REFERENCES §1).
GPT3 = {
    "Small": ((12, 768, 12), 2.25e20, 2.60),
    "Medium": ((24, 1024, 16), 6.41e20, 7.42),
    "Large": ((24, 1536, 16), 1.37e21, 15.8),
    "XL": ((24, 2048, 24), 2.38e21, 27.5),
    "2.7B": ((32, 2560, 32), 4.77e21, 55.2),
    "6.7B": ((32, 4096, 32), 1.20e22, 139),
    "13B": ((40, 5140, 40), 2.31e22, 268),
    "175B": ((96, 12288, 96), 3.14e23, 3640),
}


def estimate(capsys, *args: str) -> dict:
    assert main(["cost", "estimate", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", list(GPT3))
def test_gpt3_table_d1_training_compute_within_two_percent(home, capsys, name: str) -> None:
    (layers, d_model, heads), flops, days = GPT3[name]
    out = estimate(
        capsys,
        *("--layers", str(layers), "--d-model", str(d_model), "--heads", str(heads)),
        *("--vocab", "50257", "--seq-len", "2048", "--tokens", "300B"),
        *("--hardware", "a100-80gb", "--devices", "8", "--mfu", "0.4"),
    )
    assert out["flops_6nd"] == pytest.approx(flops, rel=0.02)
    assert out["pf_days_6nd"] == pytest.approx(days, rel=0.02)
    assert out["flops_exact"] > out["flops_6nd"] * 0.99  # attention and logits on top of 6N
    for key in ("params", "pf_days", "device_hours", "cost_usd", "energy_kwh", "co2_kg"):
        assert out[key] > 0, key
    # 8 A100s at 40% of 312 TFLOP/s: hours = FLOPs / (8 × 0.4 × 3.12e14) / 3600.
    assert out["wall_hours"] == pytest.approx(out["flops_exact"] / (8 * 0.4 * 3.12e14) / 3600)
    assert out["device_hours"] == pytest.approx(8 * out["wall_hours"])
    assert out["cost_usd"] == pytest.approx(out["device_hours"] * 2.79)  # Lambda, 2026-09


def test_given_params_drive_six_n_d(home, capsys) -> None:
    out = estimate(
        capsys,
        *("--layers", "96", "--d-model", "12288", "--heads", "96", "--vocab", "50257"),
        *("--seq-len", "2048", "--params", "174.6B", "--tokens", "300e9", "--hardware", "h100-sxm"),
    )
    assert out["flops_6nd"] == pytest.approx(3.14e23, rel=0.002)
    assert out["precision"] == "bf16-mixed" and out["chinchilla"]["verdict"].startswith("under")


def test_a_run_config_with_a_step_budget(home, capsys) -> None:
    out = estimate(capsys, str(TINY), "--set", "trainer.max_steps=100", "--pricing", "on_demand")
    assert out["tokens"] == 100 * 16 * 64  # steps × batch × max_length
    assert out["hardware"] == "cpu" and out["precision"] == "32"
    assert out["params"] == out["params_counted"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layers", "2", "--tokens", "1M"], "missing --d-model, --heads, --vocab, --seq-len"),
        (
            ["--layers", "2", "--d-model", "64", "--heads", "4", "--vocab", "9", "--seq-len", "8"],
            "give --tokens",
        ),
        ([str(FILE_CONFIG)], "does not know before reading it"),
        ([str(TINY), "--layers", "3", "--tokens", "1M"], "give one architecture, not a run config"),
        ([str(TINY), "--tokens", "1M", "--hardware", "v100"], "'v100' is not in the catalog"),
        ([str(TINY), "--tokens", "1M", "--mfu", "1.5"], "MFU must be in (0, 1]"),
        ([str(TINY), "--tokens", "1M", "--hardware", "t4", "--precision", "bf16-mixed"], "no bf16"),
        ([str(TINY), "--tokens", "0"], "--tokens must be a positive number, got 0"),
        ([str(TINY), "--tokens", "1M", "--params", "0"], "--params must be a positive number"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(home, capsys, args: list[str], message: str) -> None:
    assert main(["cost", "estimate", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("tokens", "params", "message"),
    [(0.0, None, "training token count"), (float("nan"), None, "training token count")]
    + [(1e6, 0.0, "parameter count"), (1e6, float("inf"), "parameter count")],
)
def test_the_cost_model_names_no_command_line_flag(
    tokens: float, params: float | None, message: str
) -> None:
    # The dashboard's cost preview calls estimate() too: its users have no --tokens flag.
    shape = shape_from_numbers(2, 64, 4, 100, 32)
    with pytest.raises(UserError, match=message) as refused:
        cost_estimate(load_catalog(), shape, tokens, "cpu", params=params)
    assert "--" not in str(refused.value)


def test_unparseable_count_is_an_argparse_error(home, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["cost", "estimate", "--tokens", "lots"])
    assert exit_.value.code == 2
    assert "'lots' is not a count" in capsys.readouterr().err


def test_hardware_lists_the_merged_catalog(home, capsys) -> None:
    assert main(["cost", "hardware"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "h100-sxm" in doc["devices"] and doc["defaults"]["pue"] == 1.1
