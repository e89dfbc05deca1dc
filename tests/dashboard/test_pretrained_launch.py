"""The launch form for a pretrained Hugging Face model: pick one on this machine (or type a
folder), choose how to fine-tune it, launch; the shape and tokenizer fields stay out of it."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from paretolab.store import RunStore
from tests.dashboard.conftest import open_page

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
PICK = "cfg0.model.pretrained.pick"


@pytest.fixture(autouse=True)
def no_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def pretrained_form() -> AppTest:
    at = open_page("views/launch.py")
    at.selectbox(key="cfg0.model.family").set_value("pretrained").run()
    assert not at.exception, at.exception
    return at


def keys(widgets) -> set[str]:
    return {w.key for w in widgets}


def launch(at: AppTest, store: RunStore) -> dict:
    assert not at.button(key="launch_button").disabled, [e.value for e in at.error]
    at.button(key="launch_button").click().run()
    assert not at.exception, at.exception
    (run,) = store.list_runs()
    return run.config


def test_picking_the_packaged_minilm_launches_a_pretrained_run(store: RunStore) -> None:
    at = pretrained_form()
    picker = at.selectbox(key=PICK)
    assert picker.value == MINILM
    assert f"{MINILM} · BertModel · 22.7M params · apache-2.0" in picker.options
    shown = keys(at.number_input) | keys(at.selectbox) | keys(at.checkbox)
    assert not {"cfg0.model.d_model", "cfg0.model.n_layers", "cfg0.model.positional"} & shown
    assert not any(k.startswith("cfg0.tokenizer.") for k in shown)
    assert any("brings its own tokenizer" in c.value for c in at.caption)
    assert any("BertModel, 22,713,216 parameters" in m.value for m in at.markdown)
    assert any("comes from its checkpoint" in c.value for c in at.caption)
    config = launch(at, store)
    assert config["model"]["pretrained"] == MINILM
    assert config["model"]["family"] == "pretrained"
    assert config["model"]["finetune"] == "full"
    assert config["model"]["d_model"] == 128  # the default, not the tiny preset's 32
    assert config["tokenizer"]["vocab_size"] == 8000  # likewise


def test_lora_fields_appear_for_lora_and_an_empty_module_list_is_the_default(
    store: RunStore,
) -> None:
    at = pretrained_form()
    assert "cfg0.model.lora.r" not in keys(at.number_input)
    at.selectbox(key="cfg0.model.finetune").set_value("lora").run()
    assert at.text_input(key="cfg0.model.lora.target_modules").value == ""
    at.number_input(key="cfg0.model.lora.r").set_value(4).run()
    config = launch(at, store)
    assert config["model"]["finetune"] == "lora"
    assert config["model"]["lora"]["r"] == 4
    assert config["model"]["lora"]["target_modules"] is None


def test_freeze_layers_appears_for_freeze(store: RunStore) -> None:
    at = pretrained_form()
    assert "cfg0.model.freeze_layers" not in keys(at.number_input)
    at.selectbox(key="cfg0.model.finetune").set_value("freeze").run()
    at.number_input(key="cfg0.model.freeze_layers").set_value(3).run()
    config = launch(at, store)
    assert (config["model"]["finetune"], config["model"]["freeze_layers"]) == ("freeze", 3)


def test_a_typed_folder_replaces_the_pick(store: RunStore, tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert", "architectures": ["BertModel"]}')
    header = json.dumps({"w": {"dtype": "F32", "shape": [10, 5], "data_offsets": [0, 200]}})
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header.encode())
    at = pretrained_form()
    at.text_input(key="cfg0.model.pretrained.typed").input(str(folder)).run()
    assert any("BertModel, 50 parameters" in m.value for m in at.markdown)
    config = launch(at, store)
    assert config["model"]["pretrained"] == str(folder)


def test_trusting_remote_code_shows_a_warning(store: RunStore) -> None:
    at = pretrained_form()
    assert not at.warning
    at.checkbox(key="cfg0.model.trust_remote_code").check().run()
    assert any("own Python code" in w.value for w in at.warning)
    assert launch(at, store)["model"]["trust_remote_code"] is True


def test_back_to_a_from_scratch_family_drops_the_pretrained_fields(store: RunStore) -> None:
    at = pretrained_form()
    at.selectbox(key="cfg0.model.family").set_value("encoder_classifier").run()
    assert PICK not in keys(at.selectbox)
    assert "cfg0.model.d_model" in keys(at.number_input)
    # A from-scratch model shows none of a checkpoint's fields (they would be refused).
    assert not {"cfg0.model.pretrained", "cfg0.model.revision"} & keys(at.text_input)
    assert not {"cfg0.model.finetune"} & keys(at.selectbox)
    assert not any(k.startswith("cfg0.model.lora") for k in keys(at.checkbox))
    config = launch(at, store)
    assert config["model"]["pretrained"] is None
    assert config["model"]["family"] == "encoder_classifier"


def test_the_model_diagram_of_a_pretrained_model_names_its_checkpoint() -> None:
    from dashboard.components.model_diagram import model_dot
    from paretolab.config import ModelConfig

    dot = model_dot({}, ModelConfig(pretrained=MINILM, finetune="lora"), num_classes=3)
    assert f"{MINILM}\\n(pretrained, fine-tuning: lora)" in dot


def test_cloning_a_pretrained_run_opens_the_picker_on_its_model(store: RunStore) -> None:
    from paretolab.config.io import parse_config
    from tests.conftest import queue_run, tiny_config

    values = tiny_config().model_dump(mode="json", exclude={"tokenizer"})
    values["model"] = {"pretrained": MINILM, "finetune": "lora"}
    run_id = queue_run(store, parse_config(values))
    at = open_page("views/launch.py")
    at.radio(key="launch_source").set_value("earlier run").run()
    at.selectbox(key="launch_clone_run").set_value(run_id).run()
    at.button(key="launch_clone").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="cfg1.model.pretrained.pick").value == MINILM
    assert at.selectbox(key="cfg1.model.finetune").value == "lora"
    assert "cfg1.model.d_model" not in keys(at.number_input)


def test_pooling_and_the_head_rate_appear_for_a_pretrained_classifier(store: RunStore) -> None:
    at = pretrained_form()
    pooling = at.selectbox(key="cfg0.model.pooling")
    assert pooling.value == "mean" and "AutoModelForSequenceClassification" in pooling.help
    pooling.set_value("cls").run()
    kinds = (at.number_input, at.text_input)
    assert "cfg0.optim.head_lr" in {w.key for kind in kinds for w in kind}
    config = launch(at, store)
    assert config["model"]["pooling"] == "cls" and config["optim"]["head_lr"] is None
