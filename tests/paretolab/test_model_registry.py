"""The model registry in the run store (SQLite and PostgreSQL): versions with lineage,
aliases that move with an audit trail, archiving, and one-line errors for what is unknown."""

from __future__ import annotations

import re

import pytest

from paretolab import model_registry, settings
from paretolab.errors import UserError
from paretolab.files import file_sha256
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


def run_with_checkpoints(store: RunStore, *overrides: str) -> int:
    """A run with fake best/last checkpoint files and a validation metric (no training)."""
    run_id = queue_run(store, tiny_config(*overrides))
    folder = settings.run_dir(run_id) / "checkpoints"
    folder.mkdir(parents=True)
    for kind in ("best", "last"):
        (folder / f"{kind}.ckpt").write_bytes(f"{kind} weights of {run_id}".encode())
    store.log_metrics(run_id, [("val_acc", 10, 0.75, 1.0), ("train_loss", 10, 1.0, 1.0)])
    return run_id


def test_register_records_lineage_and_numbers_versions(any_store: RunStore) -> None:
    first, second = run_with_checkpoints(any_store), run_with_checkpoints(any_store)
    v1 = model_registry.register_run(first, "bbc", "best", "baseline", "ada", any_store)
    v2 = model_registry.register_run(second, "bbc", "last", "", "bob", any_store)
    assert (v1.ref, v2.ref) == ("bbc:1", "bbc:2")
    path = settings.run_dir(second) / "checkpoints" / "last.ckpt"
    assert (v2.run_id, v2.checkpoint, v2.checkpoint_path) == (second, "last", str(path))
    assert v2.checkpoint_sha256 == file_sha256(path)
    assert v2.lineage["metrics"] == {"val_acc": 0.75}  # val_/test_ figures only
    assert v2.lineage["data"] == {"dataset": any_store.get_run(second).config["data"]["dataset"]}
    assert v2.lineage["config"] == any_store.get_run(second).config
    assert len(v2.lineage["code_commit"]) == 40  # this checkout's commit
    assert (v1.description, v1.created_by) == ("baseline", "ada")
    assert model_registry.resolve("bbc", any_store) == v2  # the newest
    assert model_registry.resolve("bbc:1", any_store) == v1
    [model] = model_registry.registry(any_store).models()
    assert (model.name, model.latest_version, model.description) == ("bbc", 2, "baseline")


def test_alias_moves_are_audited(any_store: RunStore) -> None:
    reg = model_registry.registry(any_store)
    for _ in range(2):
        model_registry.register_run(run_with_checkpoints(any_store), "m", store=any_store)
    assert reg.set_alias("m", 1, "production", "ada") is None
    assert reg.set_alias("m", 2, "production", "bob") == 1
    assert model_registry.resolve("m@production", any_store).version == 2
    assert reg.versions("m")[0].aliases == ("production",)
    trail = [(a.who, a.action, a.target, a.previous) for a in reg.audit("m")]
    assert trail[2:] == [
        ("ada", "alias", "production → v1", None),
        ("bob", "alias", "production → v2", "v1"),
    ]
    assert [action for _, action, _, _ in trail[:2]] == ["register", "register"]


def test_archiving_hides_a_version_from_latest_and_is_audited(any_store: RunStore) -> None:
    reg = model_registry.registry(any_store)
    for _ in range(2):
        model_registry.register_run(run_with_checkpoints(any_store), "m", store=any_store)
    reg.set_alias("m", 2, "production")
    with pytest.raises(UserError, match=r"m:2 is @production; move the alias"):
        reg.set_archived("m", 2, True)
    reg.set_alias("m", 1, "production")
    reg.set_archived("m", 2, True, "ada")
    assert model_registry.resolve("m", any_store).version == 1  # @latest skips archived
    assert [v.version for v in reg.versions("m", archived=False)] == [1]
    with pytest.raises(UserError, match="m:2 is archived; unarchive it"):
        reg.set_alias("m", 2, "candidate")
    assert reg.audit("m")[-1].action == "archive"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "no registered model 'nope' (registered: m); register one with"),
        ("m:7", "model m has no version 7 (its versions: 1 to 1); see `paretolab models show m`"),
        ("m@prod", "model m has no alias @prod (its aliases: none); set one with"),
        ("m:x", "'m:x': the version after ':' must be a number like m:3"),
        ("@prod", "'@prod': name a model as NAME, NAME:VERSION or NAME@ALIAS"),
    ],
)
def test_unknown_references_say_what_exists(store: RunStore, ref: str, message: str) -> None:
    model_registry.register_run(run_with_checkpoints(store), "m", store=store)
    with pytest.raises(UserError, match="^" + re.escape(message)):
        model_registry.resolve(ref, store)


def test_bad_names_aliases_and_missing_checkpoints_are_refused(store: RunStore) -> None:
    run_id = run_with_checkpoints(store)
    with pytest.raises(UserError, match="model name 'a b': use letters"):
        model_registry.register_run(run_id, "a b", store=store)
    version = model_registry.register_run(run_id, "m", store=store)
    reg = model_registry.registry(store)
    with pytest.raises(UserError, match="@latest always means the newest version"):
        reg.set_alias("m", 1, "latest")
    with pytest.raises(UserError, match="alias 'Prod!': use lowercase"):
        reg.set_alias("m", 1, "Prod!")
    assert model_registry.checked_checkpoint(version).is_file()
    (settings.run_dir(run_id) / "checkpoints" / "best.ckpt").write_bytes(b"retrained")
    with pytest.raises(UserError, match="changed since it was registered"):
        model_registry.checked_checkpoint(version)
    (settings.run_dir(run_id) / "checkpoints" / "best.ckpt").unlink()
    with pytest.raises(UserError, match=r"m:1: its checkpoint .* is missing"):
        model_registry.checked_checkpoint(version)
    with pytest.raises(UserError, match="has no best checkpoint .*; use --checkpoint=last"):
        model_registry.register_run(run_id, "m", store=store)


def test_a_user_file_is_recorded_with_its_sha256(store: RunStore, tmp_path) -> None:
    data = tmp_path / "mine.csv"
    data.write_text("text,label\nhello,a\n")
    lineage = model_registry.data_lineage({"dataset": "file", "path": str(data)})
    assert lineage == {"dataset": "file", "path": str(data), "sha256": file_sha256(data)}


def test_serving_figures_are_kept_per_runtime_and_hardware(any_store: RunStore) -> None:
    from paretolab.store.serving_results import ServingResult, ServingResults

    run_id = run_with_checkpoints(any_store)
    model_registry.register_run(run_id, "m", store=any_store)
    results = ServingResults(any_store.engine)
    old = ServingResult("onnx", "cpu", "cpu A × 2 threads", 2, 3.0, 4.0, 5.0, 8, 100.0, 300.0)
    for result in (
        old,
        ServingResult("pytorch", "cpu", "cpu A × 2 threads", 2, 6.0, 7.0, 8.0, 16, 90.0, 280.0),
        ServingResult("onnx", "cpu", "cpu A × 2 threads", 2, 2.0, 2.5, 3.0, 8, 120.0, 310.0),
    ):
        results.add("m", 1, result)
    newest = results.for_version("m", 1)
    assert [(r.runtime, r.p50_ms) for r in newest] == [("onnx", 2.0), ("pytorch", 6.0)]
    assert [(ref, r.runtime) for ref, r in results.for_run(run_id)] == [
        ("m:1", "onnx"),
        ("m:1", "pytorch"),
    ]
    with pytest.raises(UserError, match="model m has no version 2"):
        results.add("m", 2, old)
