from pathlib import Path

import pytest

from paretolab.config import TASKS, ModelConfig, RunConfig
from paretolab.config.io import (
    apply_overrides,
    dump_config,
    load_config,
    load_yaml_text,
    parse_config,
)
from paretolab.errors import ConfigError
from tests.conftest import REPO


def problems(data) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_validate(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.task in TASKS
    # Demos finish within the quality benchmark's longest time goal (15 minutes).
    assert cfg.trainer.max_time_minutes is None or cfg.trainer.max_time_minutes <= 13


def test_defaults_are_valid_and_round_trip() -> None:
    cfg = parse_config({})
    assert cfg.model.ff_dim() == 4 * cfg.model.d_model
    assert parse_config(load_yaml_text(dump_config(cfg))) == cfg


def test_heads_must_divide_width_names_both_fields() -> None:
    [msg] = problems({"model": {"d_model": 128, "n_heads": 5}})
    assert msg.startswith("model.n_heads=5 must divide model.d_model=128")


def test_unknown_key_is_an_error_with_a_suggestion() -> None:
    [msg] = problems({"model": {"d_modle": 64}})
    assert "model.d_modle: unknown key" in msg and "did you mean 'd_model'" in msg


def test_unknown_section_is_an_error() -> None:
    [msg] = problems({"optimiser": {"lr": 0.1}})
    assert "optimiser: unknown key" in msg and "did you mean 'optim'" in msg


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"optim": {"lr": -1}}, "optim.lr=-1: Input should be greater than 0"),
        ({"model": {"n_layers": "two"}}, "model.n_layers='two'"),
        ({"trainer": {"precision": "8-bit"}}, "trainer.precision='8-bit'"),
        ({"data": {"val_fraction": 0.7}}, "data.val_fraction=0.7"),
        ({"optim": {"betas": [0.9, 1.5]}}, "each beta must be in [0, 1)"),
        ({"trainer": {"monitor": "val_bleu"}}, "trainer.monitor='val_bleu' is not a metric"),
        ({"data": {"val_fraction": 0.45, "test_fraction": 0.45}}, "leave too little to train on"),
    ],
)
def test_bad_values_name_field_value_and_rule(data: dict, expected: str) -> None:
    assert any(expected in p for p in problems(data)), problems(data)


def test_several_problems_are_all_reported() -> None:
    assert len(problems({"optim": {"lr": 0}, "data": {"batch_size": 0}})) == 2


def test_precision_32_from_yaml_int_is_accepted() -> None:
    assert parse_config({"trainer": {"precision": 32}}).trainer.precision == "32"


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="mapping"):
        load_yaml_text("- a\n- b\n")


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("model:\n  d_model: 64\n n_layers: [\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: YAML syntax error at line \d+"):
        load_config(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_overrides_are_parsed_as_yaml_and_nest() -> None:
    out = apply_overrides(
        {"model": {"d_model": 64}},
        ["model.n_layers=4", "trainer.early_stopping.patience=2", "tags=[a, b]"],
    )
    assert out == {
        "model": {"d_model": 64, "n_layers": 4},
        "trainer": {"early_stopping": {"patience": 2}},
        "tags": ["a", "b"],
    }
    cfg = parse_config(out)
    assert cfg.trainer.early_stopping is not None and cfg.trainer.early_stopping.patience == 2


@pytest.mark.parametrize("bad", ["model.n_layers", "=3", "model..x=1"])
def test_malformed_override_is_an_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="expected KEY.PATH=VALUE"):
        apply_overrides({}, [bad])


def test_override_through_a_value_is_an_error() -> None:
    with pytest.raises(ConfigError, match="model.d_model is a value, not a section"):
        apply_overrides({"model": {"d_model": 64}}, ["model.d_model.x=1"])


def test_override_of_unknown_key_fails_validation(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  d_model: 64\n")
    with pytest.raises(ConfigError, match="model.depth: unknown key"):
        load_config(path, ["model.depth=3"])


def test_every_field_has_help_text() -> None:
    def walk(cls):
        for name, field in cls.model_fields.items():
            assert field.description, f"{cls.__name__}.{name} has no docstring"
            inner = getattr(field.annotation, "model_fields", None)
            if inner is not None:
                walk(field.annotation)

    walk(RunConfig)
    assert "must divide" in ModelConfig.model_fields["n_heads"].description


@pytest.mark.parametrize(
    ("hardware", "expected"),
    [
        ({"strategy": "ddp"}, "hardware.strategy=ddp needs more than one process"),
        ({"strategy": "ddp_spawn", "devices": 2}, "'ddp_spawn' is not supported"),
        ({"strategy": "deepspeed", "devices": 2}, "'deepspeed' is not supported: use fsdp"),
        ({"strategy": "fsdp", "accelerator": "cpu"}, "hardware.strategy=fsdp trains on GPUs"),
        ({"strategy": "dp", "devices": 2}, "Lightning 2 removed DataParallel; use ddp"),
        ({"num_nodes": 0}, "hardware.num_nodes=0: Input should be greater than or equal to 1"),
        ({"accelerator": "mps", "devices": 2}, "hardware.accelerator=mps trains on one device"),
    ],
)
def test_parallel_hardware_is_checked(hardware: dict, expected: str) -> None:
    assert any(expected in p for p in problems({"hardware": hardware})), expected


def test_ddp_settings_and_the_world_size() -> None:
    cfg = parse_config({"hardware": {"devices": 4, "num_nodes": 2, "strategy": "ddp"}})
    assert cfg.hardware.world_size() == 8
    folds = {"hardware": {"devices": 2}, "data": {"cv_folds": 3}}
    assert any("data.cv_folds trains its folds one after another" in p for p in problems(folds))


PRETRAINED = {"task": "language_modeling", "data": {"dataset": "shakespeare"}}
PRETRAINED["model"] = {"family": "pretrained", "pretrained": "gpt2"}


def test_fsdp_shards_pretrained_models_on_gpus_without_compile() -> None:
    fsdp = {"strategy": "fsdp", "accelerator": "gpu", "devices": 2}
    cfg = parse_config({**PRETRAINED, "hardware": fsdp})
    assert cfg.hardware.strategy == "fsdp" and cfg.hardware.world_size() == 2
    one_gpu = parse_config({**PRETRAINED, "hardware": {**fsdp, "devices": 1}})
    assert one_gpu.hardware.strategy == "fsdp"  # activation checkpointing on one GPU
    scratch = {"task": "language_modeling", "data": {"dataset": "shakespeare"}}
    [msg] = problems({**scratch, "model": {"family": "decoder_lm"}, "hardware": fsdp})
    assert "hardware.strategy=fsdp shards pretrained models" in msg and "use ddp" in msg
    lora = {**PRETRAINED["model"], "finetune": "lora"}
    [msg] = problems({**PRETRAINED, "model": lora, "hardware": fsdp})
    assert "hardware.strategy=fsdp fine-tunes in full" in msg
    [msg] = problems({**PRETRAINED, "hardware": fsdp, "optim": {"optimizer": "muon"}})
    assert "optim.optimizer=muon is not supported with hardware.strategy=fsdp" in msg
    [msg] = problems({**PRETRAINED, "hardware": fsdp, "trainer": {"compile": True}})
    assert "trainer.compile is not supported with hardware.strategy=fsdp" in msg


def test_compile_is_off_by_default_and_a_boolean() -> None:
    assert parse_config({}).trainer.compile is False
    assert parse_config({"trainer": {"compile": True}}).trainer.compile is True
    [msg] = problems({"trainer": {"compile": "max"}})
    assert msg.startswith("trainer.compile")


def test_eval_windows_apply_to_text_classification_only() -> None:
    raw = {"task": "regression", "data": {"dataset": "file", "path": "x.csv", "eval_windows": 2}}
    with pytest.raises(ConfigError, match="data.eval_windows applies to task classification"):
        parse_config(raw)
    assert parse_config({"data": {"eval_windows": 4}}).data.eval_windows == 4
