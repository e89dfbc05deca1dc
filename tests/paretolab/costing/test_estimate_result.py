"""`estimate()` returns typed results; `to_dict()` is today's JSON, byte for byte.

`estimate_golden.json` holds `paretolab cost estimate`'s output for the demo configs and a
few bare shapes, captured from the code that returned a dict (before the dataclasses), then
updated on purpose once (issue 21): the new keys `params_active`, `params_source`,
`params_note`, `flops_for_time`, `pue`, `tdp_watts`, `grid`, `carbon_kg_per_kwh`,
`finetune`; the
assumption line `tokens: given (--tokens)`; and `gpt3_175b_params_given`, whose time and
cost now come from 6·N·D with the N given (the user's count), not from the shape's. Updated
on purpose again (issue 22): `tiny`, `bbc_demo` and `zh_reviews_demo` count their classifier
head (the built-in dataset's classes), as the run and the Launch preview do.
The CPU entry is left out: its peak is measured on the host, so it differs between hosts.
"""

import dataclasses
import json
from pathlib import Path

import pytest

from paretolab.cli import main
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import estimate, shape_from_numbers

GOLDEN = json.loads((Path(__file__).parent / "estimate_golden.json").read_text("utf-8"))

# The document's shape, written out: a change to any key or its place is a change of the
# JSON that users and reports read.
TOP_KEYS = [
    "params",
    "params_active",
    "params_counted",
    "params_non_embedding",
    "params_source",
    "params_note",
    "tokens",
    "flops_6nd",
    "flops_exact",
    "flops_breakdown",
    "pf_days",
    "pf_days_6nd",
    "inference_flops_per_token",
    "flops_for_time",
    "hardware",
    "device_name",
    "devices",
    "precision",
    "dtype",
    "peak_flops",
    "mfu",
    "wall_hours",
    "device_hours",
    "cost_usd",
    "usd_per_device_hour",
    "energy_kwh",
    "co2_kg",
    "pue",
    "tdp_watts",
    "grid",
    "carbon_kg_per_kwh",
    "memory",
    "chinchilla",
    "finetune",
    "assumptions",
]
MEMORY_KEYS = ["training", "serving", "device_memory_gb"]
TRAINING_MEMORY_KEYS = [
    "weights_gb",
    "gradients_gb",
    "optimizer_gb",
    "activations_none_recompute_gb",
    "total_none_recompute_gb",
    "activations_selective_recompute_gb",
    "total_selective_recompute_gb",
    "activations_full_recompute_gb",
    "total_full_recompute_gb",
]
SERVING_MEMORY_KEYS = ["weights_gb", "kv_cache_gb", "total_gb"]
CHINCHILLA_KEYS = [
    "tokens_per_param",
    "compute_optimal_tokens_per_param",
    "compute_optimal_params",
    "compute_optimal_tokens",
    "verdict",
]


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_the_json_is_byte_for_byte_what_the_dict_was(home, capsys, case: str) -> None:
    assert main(["cost", "estimate", *GOLDEN[case]["argv"]]) == 0
    out = capsys.readouterr().out
    assert out == GOLDEN[case]["stdout"]
    doc = json.loads(out)
    assert list(doc) == TOP_KEYS
    assert list(doc["memory"]) == MEMORY_KEYS
    assert list(doc["memory"]["training"]) == TRAINING_MEMORY_KEYS
    assert list(doc["memory"]["serving"]) == SERVING_MEMORY_KEYS
    assert list(doc["chinchilla"]) == CHINCHILLA_KEYS


def test_callers_read_attributes_that_match_the_json() -> None:
    shape = shape_from_numbers(2, 64, 4, 100, 32)
    found = estimate(load_catalog(), shape, 1e6, "a100-80gb", devices=2, batch=3)
    doc = found.to_dict()
    assert found.cost.cost_usd == doc["cost_usd"] > 0
    assert found.hardware.entry == doc["hardware"] == "a100-80gb"
    assert found.params.used == doc["params"] == found.params.counted
    assert (
        found.memory.training.total_gb("none")
        == doc["memory"]["training"]["total_none_recompute_gb"]
    )
    assert found.memory.serving.total_gb == doc["memory"]["serving"]["total_gb"]
    assert found.chinchilla.verdict == doc["chinchilla"]["verdict"]
    assert json.loads(json.dumps(doc)) == doc  # JSON-ready: no dataclass or proxy left inside
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.cost.cost_usd = 0.0  # type: ignore[misc]
