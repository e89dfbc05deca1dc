"""The pretrained-model check remembers its verdict (``paretolab.pretrained_check``): the
same model on the same files is checked once per process; a changed model section, task or
checkpoint file is checked again, and a check that could not run is not remembered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paretolab import pretrained_check
from paretolab.check_process import CheckRefusal
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from tests.conftest import tiny_config


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[RunConfig]:
    """The configs the (stand-in) child process was started for."""
    started: list[RunConfig] = []

    def child(module: str, config: RunConfig, *args: object) -> str:
        started.append(config)
        if config.model.freeze_layers > 50:
            raise CheckRefusal(f"model.freeze_layers={config.model.freeze_layers} is too many")
        if config.model.freeze_layers == 13:
            raise UserError("checking model.pretrained took over 300 s")  # no verdict
        return f"checked {config.model.finetune}"

    pretrained_check.forget_verdicts()
    monkeypatch.setattr(pretrained_check, "run_check", child)
    yield started
    pretrained_check.forget_verdicts()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    return model


def pretrained(folder: Path, task: str = "classification", **model: object) -> RunConfig:
    values = tiny_config().model_dump(mode="json", exclude={"tokenizer"})
    values["model"] = {"pretrained": str(folder), **model}
    if task != "classification":
        values["task"], values["data"]["dataset"] = task, "shakespeare"
        values["trainer"]["monitor"] = "val_loss"
    return parse_config(values)


def test_the_same_model_is_checked_once(children: list, folder: Path) -> None:
    config = pretrained(folder, finetune="lora")
    assert pretrained_check.check_pretrained(config) == "checked lora"
    assert pretrained_check.check_pretrained(config) == "checked lora"
    assert pretrained_check.check_pretrained(pretrained(folder, finetune="lora")) == "checked lora"
    assert len(children) == 1


def test_another_finetune_or_task_is_checked_again(children: list, folder: Path) -> None:
    pretrained_check.check_pretrained(pretrained(folder, finetune="lora"))
    assert pretrained_check.check_pretrained(pretrained(folder, finetune="full")) == "checked full"
    pretrained_check.check_pretrained(pretrained(folder, task="language_modeling", finetune="full"))
    assert len(children) == 3


def test_a_changed_checkpoint_is_checked_again(children: list, folder: Path) -> None:
    config = pretrained(folder)
    pretrained_check.check_pretrained(config)
    (folder / "config.json").write_text('{"model_type": "roberta"}', encoding="utf-8")
    pretrained_check.check_pretrained(config)
    (folder / "modeling_custom.py").write_text("# remote code\n", encoding="utf-8")
    pretrained_check.check_pretrained(config)
    stamp = (folder / "config.json").stat().st_mtime_ns + 1_000_000_000
    os.utime(folder / "config.json", ns=(stamp, stamp))  # same size, newer
    pretrained_check.check_pretrained(config)
    assert len(children) == 4


def test_a_refusal_is_remembered_and_a_failed_check_is_not(children: list, folder: Path) -> None:
    refused = pretrained(folder, finetune="freeze", freeze_layers=99)
    for _ in range(2):
        with pytest.raises(UserError, match="freeze_layers=99 is too many"):
            pretrained_check.check_pretrained(refused)
    timed_out = pretrained(folder, finetune="freeze", freeze_layers=13)
    for _ in range(2):
        with pytest.raises(UserError, match="took over 300 s"):
            pretrained_check.check_pretrained(timed_out)
    assert len(children) == 3


def test_a_model_that_is_not_there_is_left_to_the_child(children: list, tmp_path: Path) -> None:
    missing = pretrained(tmp_path / "nowhere")
    pretrained_check.check_pretrained(missing)
    pretrained_check.check_pretrained(missing)
    assert len(children) == 2
