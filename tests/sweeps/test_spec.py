"""Sweep specs: YAML in, clear errors out; the search space samples, conditions and maps back."""

import optuna
import pytest

from paretolab.errors import ConfigError, UserError
from sweeps.space import grid_size, params_from_config, suggest, trial_config
from sweeps.spec import load_spec, parse_spec
from tests.conftest import REPO

TINY = REPO / "configs" / "sweeps" / "tiny.yaml"
SPECS = sorted((REPO / "configs" / "sweeps").glob("*.yaml"))


def spec_data(**changes):
    data = {
        "study": "s",
        "base": str(REPO / "configs" / "digits_tiny.yaml"),
        "objectives": [{"metric": "val_acc", "direction": "maximize"}],
        "parameters": {"optim.lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True}},
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_shipped_spec_loads(path) -> None:
    spec = load_spec(path)
    assert spec.study and spec.parameters and spec.objectives


def test_the_study_name_defaults_to_the_file_stem(tmp_path) -> None:
    path = tmp_path / "my-sweep.yaml"
    path.write_text(TINY.read_text().replace("study: tiny\n", ""))
    path.with_name("digits_tiny.yaml").write_text((REPO / "configs/digits_tiny.yaml").read_text())
    path.write_text(path.read_text().replace("../digits_tiny.yaml", "digits_tiny.yaml"))
    assert load_spec(path).study == "my-sweep"
    assert load_spec(path, study="other").study == "other"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"parameters": {"optim.lr": {"type": "float", "low": 0.1, "high": 0.01}}},
            "parameters.optim.lr: empty range: low=0.1 > high=0.01",
        ),
        (
            {"parameters": {"optim.lrr": {"type": "float", "low": 0.1, "high": 0.2}}},
            "parameters.optim.lrr: unknown field; did you mean 'optim.lr'?",
        ),
        (
            {"parameters": {"model.dropout": {"type": "float", "low": 0.1, "high": 1.5}}},
            "parameters.model.dropout: 1.5 does not fit the config: Input should be less than 1",
        ),
        (
            {"parameters": {"model.d_model": {"type": "int", "low": "big", "high": 64}}},
            "parameters.model.d_model.low='big'",
        ),
        (
            {"parameters": {"model": {"type": "int", "low": 1, "high": 4}}},
            "model is a section; name one of its fields",
        ),
        (
            {"parameters": {"optim.lr": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}},
            "log scale needs low > 0",
        ),
        (
            {"parameters": {"optim.lr": {"type": "normal"}}},
            "type must be float, int or categorical",
        ),
        ({"parameters": {}}, "parameters"),
        (
            {"objectives": [{"metric": "val_bleu", "direction": "maximize"}]},
            "objectives[0].metric='val_bleu' is not a val metric of task 'image_classification'",
        ),
        (
            {
                "objectives": [
                    {"metric": "val_acc", "direction": "maximize"},
                    {"metric": "params", "direction": "minimize"},
                ],
                "pruner": {"name": "hyperband"},
            },
            "Optuna prunes single-objective studies only",
        ),
        ({"sampler": {"name": "grid"}}, "the grid sampler needs a step for a float"),
        ({"fixed": {"trainer.max_epoch": 3}}, "fixed.trainer.max_epoch: unknown field"),
        ({"sampler": {"name": "anneal"}}, "sampler.name='anneal'"),
        (
            {"fixed": {"hardware.devices": 2}},
            "base with fixed: a sweep trial trains in its worker's process, on one device",
        ),
        (
            {"parameters": {"hardware.num_nodes": {"type": "int", "low": 1, "high": 2}}},
            "parameters.hardware.num_nodes: a sweep trial trains in its worker's process",
        ),
    ],
)
def test_bad_specs_get_one_clear_line_each(changes, message) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(spec_data(**changes))
    assert any(message in p for p in info.value.problems), info.value.problems


def test_a_condition_must_name_an_earlier_parameter() -> None:
    params = {
        "optim.momentum": {
            "type": "float",
            "low": 0.5,
            "high": 0.9,
            "when": {"optim.optimizer": "sgd"},
        },
        "optim.optimizer": {"type": "categorical", "choices": ["adamw", "sgd"]},
    }
    with pytest.raises(
        ConfigError, match="when.optim.optimizer must name a parameter listed before"
    ):
        parse_spec(spec_data(parameters=params))


def test_conditional_parameters_are_sampled_only_when_their_condition_holds() -> None:
    spec = load_spec(TINY)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = {"adamw": set(), "sgd": set()}
    for _ in range(20):
        trial = study.ask()
        values = suggest(trial, spec)
        seen[values["optim.optimizer"]].add("optim.momentum" in values)
        config = trial_config(spec, values, "t")
        assert config.optim.lr == values["optim.lr"] and "sweep:tiny" in config.tags
        assert config.trainer.max_epochs == 4  # fixed
        study.tell(trial, 0.0)
    assert seen == {"adamw": {False}, "sgd": {True}}


def test_a_runs_values_map_back_into_the_space_or_are_refused() -> None:
    spec = load_spec(TINY)
    config = trial_config(
        spec,
        {"optim.lr": 0.01, "model.d_model": 16, "optim.optimizer": "sgd", "optim.momentum": 0.8},
    ).model_dump(mode="json")
    assert params_from_config(spec, config) == {
        "optim.lr": 0.01,
        "model.d_model": 16,
        "optim.optimizer": "sgd",
        "optim.momentum": 0.8,
    }
    config["model"]["d_model"] = 64
    with pytest.raises(UserError, match=r"model.d_model=64 is outside the search space \(choices"):
        params_from_config(spec, config)


def test_an_invalid_combination_is_a_config_error_naming_both_fields() -> None:
    spec = parse_spec(
        spec_data(parameters={"model.n_heads": {"type": "categorical", "choices": [2, 3]}})
    )
    with pytest.raises(ConfigError, match="model.n_heads=3 must divide model.d_model=32"):
        trial_config(spec, {"model.n_heads": 3})


def test_grid_specs_enumerate_their_points() -> None:
    spec = parse_spec(
        spec_data(
            sampler={"name": "grid"},
            parameters={
                "optim.lr": {"type": "float", "low": 0.001, "high": 0.003, "step": 0.001},
                "model.n_layers": {"type": "int", "low": 1, "high": 2},
            },
        )
    )
    assert grid_size(spec) == 6
