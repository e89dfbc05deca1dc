"""``paretolab models available`` (and plain ``paretolab models``) lists the pretrained models on this machine as a table or JSON."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from paretolab.cli import main

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def fake_model(folder: Path, shapes: dict[str, list[int]], license: str | None = None) -> None:
    """A model folder with a config.json and a safetensors file holding only a header (the
    catalog reads no more)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "gpt2", "architectures": ["GPT2Model"]}')
    header = json.dumps(
        {k: {"dtype": "F32", "shape": s, "data_offsets": [0, 0]} for k, s in shapes.items()}
    )
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header.encode())
    if license:
        (folder / "README.md").write_text(f"---\nlicense: {license}\n---\n")


@pytest.fixture
def models(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "no-cache"))
    fake_model(home / "models" / "acme" / "small", {"w": [1000, 3], "b": [3]}, license="mit")
    (home / "models" / "broken").mkdir()
    (home / "models" / "broken" / "config.json").write_text("[]")
    return home / "models"


@pytest.mark.parametrize("argv", [["models", "available"], ["models"]])
def test_models_prints_a_table_with_the_name_to_use(models: Path, capsys, argv) -> None:
    assert main(argv) == 0
    printed = capsys.readouterr()
    # Plain `paretolab models` still lists them (as before the registry), with a hint.
    assert ("paretolab models list" in printed.err) == (argv == ["models"])
    lines = printed.out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "REVISION",
        "WHERE",
        "ARCHITECTURE",
        "PARAMS",
        "LICENCE",
        "SIZE",
        "NOTE",
    ]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"acme/small", "broken", MINILM}
    assert rows["acme/small"].split()[1:6] == ["-", "models", "home", "GPT2Model", "3K"]
    assert " mit " in rows["acme/small"]
    assert "names no model_type" in rows["broken"]
    assert rows[MINILM].split()[1:6] == ["-", "package", "BertModel", "22.7M", "apache-2.0"]


def test_models_json_has_every_fact(models: Path, capsys) -> None:
    assert main(["models", "available", "--json"]) == 0
    found = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    small = found["acme/small"]
    assert (small["params"], small["license"], small["source"]) == (3003, "mit", "models home")
    assert small["folder"] == str(models / "acme" / "small")
    assert found["broken"]["problem"] and found["broken"]["params"] is None
    assert found[MINILM]["params"] == 22_713_216
