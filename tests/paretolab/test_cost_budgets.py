"""`paretolab cost estimate`'s budgets: N and D alone, N beside an architecture, epochs, the
config schema's costing terms, a pretrained run's own folder, and fine-tuning."""

from __future__ import annotations

import json

import pytest

from paretolab.cli import main
from paretolab.config.io import parse_config
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import config_shape, estimate, shape_from_numbers
from paretolab.costing.finetune import Finetune, config_finetune, training_flops_per_token
from paretolab.costing.params import total_params
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError
from tests.conftest import REPO, TINY, tiny_config


def cost(capsys, *args: str) -> dict:
    assert main(["cost", "estimate", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_params_and_tokens_alone_give_six_n_d(home, capsys) -> None:
    doc = cost(capsys, "--params", "7B", "--tokens", "2T", "--hardware", "a100-80gb")
    assert doc["flops_6nd"] == 6 * 7e9 * 2e12 and doc["flops_for_time"] == "flops_6nd"
    assert doc["params"] == doc["params_active"] == 7e9
    assert doc["params_counted"] is None and doc["flops_exact"] is None
    assert "no architecture was given" in doc["params_note"]
    assert doc["wall_hours"] == pytest.approx(8.4e22 / (0.4 * 3.12e14) / 3600)
    assert doc["memory"]["training"] is None


def test_params_beside_an_architecture_report_both_and_use_the_users(home, capsys) -> None:
    doc = cost(capsys, "--preset", "llama-2-7b", "--params", "7B", "--hardware", "a100-80gb")
    assert doc["params"] == 7e9 and doc["params_counted"] == 6_738_415_616
    assert doc["params_source"] == "given" and "use the given one" in doc["params_note"]
    assert doc["wall_hours"] == pytest.approx(6 * 7e9 * 2e12 / (0.4 * 3.12e14) / 3600)


def test_the_readme_command_prices_a_config_that_counts_epochs(home, capsys) -> None:
    doc = cost(capsys, str(REPO / "configs" / "bbc_demo.yaml"))
    # 2,225 articles, 80% for training, 32 epochs of 128-token sequences.
    assert doc["tokens"] == 32 * int(2225 * 0.8) * 128
    notes = " ".join(doc["assumptions"])
    assert "trainer.max_epochs=32" in notes and "max_time_minutes=4.5" in notes
    assert "upper bound" in notes


def test_the_config_schema_has_the_same_terms(home, capsys) -> None:
    terms = ["model.ffn=swiglu", "model.n_kv_heads=1", "model.d_ff=128"]  # 2 query heads
    doc = cost(capsys, str(TINY), "--tokens", "1M", *(x for t in terms for x in ("--set", t)))
    config = tiny_config(*terms)
    shape = ModelShape.from_config(config, num_classes=5)  # BBC's 5 topics: the head counts
    assert (shape.ffn, shape.kv_heads, shape.d_ff) == ("swiglu", 1, 128)
    assert doc["params_counted"] == total_params(shape)
    d, layers = config.model.d_model, config.model.n_layers
    plain = total_params(ModelShape.from_config(tiny_config("model.d_ff=128"), num_classes=5))
    # A third matrix (d × 128, bias 128) per block; K and V at half width (weights + biases).
    assert total_params(shape) - plain == layers * (d * 128 + 128 - 2 * (d * d // 2 + d // 2))


def test_a_costing_term_is_refused_for_training(home, capsys, store) -> None:
    assert main(["train", str(TINY), "--set", "model.ffn=swiglu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.ffn=swiglu is a costing term" in err[0]
    assert store.list_runs() == []


def test_a_moe_config_is_checked_by_the_schema(home, capsys) -> None:
    argv = [str(TINY), "--tokens", "1M", "--set", "model.num_experts=4"]
    assert main(["cost", "estimate", *argv, "--set", "model.experts_per_token=6"]) == 2
    assert "experts_per_token=6 must be between 1 and model.num_experts=4" in (
        capsys.readouterr().err
    )


def test_a_pretrained_local_folder_prices_from_its_config_json(tmp_path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "llama",
                "hidden_size": 64,
                "intermediate_size": 160,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "vocab_size": 100,
            }
        ),
        "utf-8",
    )
    config = parse_config(
        {"data": {"max_length": 48}, "model": {"pretrained": str(tmp_path), "finetune": "lora"}}
    )
    shape = config_shape(config)
    assert (shape.ffn, shape.kv_heads, shape.train_len) == ("swiglu", 2, 48)
    assert total_params(shape) == 99_136  # LlamaForCausalLM's own count (see architectures)
    assert config_finetune(config) == Finetune("lora", 0, config.model.lora.r)
    assert config_shape(tiny_config()).ffn == "mlp"  # no pretrained field: from scratch


def test_fine_tuning_costs_less_than_full_training(home) -> None:
    shape = shape_from_numbers(4, 256, 4, 1000, 128, ffn="swiglu", bias="none", norm="rmsnorm")
    catalog, n = load_catalog(), total_params(shape)
    full = estimate(catalog, shape, 1e9, "a100-80gb")
    lora = estimate(catalog, shape, 1e9, "a100-80gb", finetune=Finetune("lora", lora_rank=8))
    frozen = estimate(catalog, shape, 1e9, "a100-80gb", finetune=Finetune("freeze", 2))
    assert lora.finetune is not None and frozen.finetune is not None
    a, b = lora.finetune["params_adapter"], lora.finetune["params_frozen_below"]
    assert lora.finetune["flops_per_token"] == 4 * n + 6 * a - 2 * b
    assert lora.compute.flops_exact == pytest.approx(
        full.compute.flops_exact * (4 * n + 6 * a - 2 * b) / (6 * n)
    )
    assert max(lora.cost.wall_hours, frozen.cost.wall_hours) < 0.75 * full.cost.wall_hours
    assert frozen.finetune["flops_per_token"] == 6 * n - 4 * frozen.finetune["params_frozen_below"]
    # No gradients or optimiser states for frozen weights.
    assert lora.memory.training.gradients_gb < full.memory.training.gradients_gb / 50
    assert training_flops_per_token(10, 4, 0, 6) == 2 * 10 + 2 * 4 + 2 * 4


@pytest.mark.parametrize("offline", [True, False])
def test_a_pretrained_hub_id_not_on_this_machine_is_named(
    offline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    config = parse_config({"model": {"pretrained": "paretolab-tests/no-such-model"}})
    with pytest.raises(UserError, match="not on this machine .* --hf-config"):
        config_shape(config)
