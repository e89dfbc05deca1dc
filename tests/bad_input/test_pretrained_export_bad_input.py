"""`paretolab export-model` refusals: one line, exit code 2, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from paretolab.cli import main
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.lightning_modules.test_pretrained_export import (
    bert_classifier_config,
    use_declared_commands,
)


@pytest.fixture
def export_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The declared commands, offline; a folder holding nothing yet."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    use_declared_commands(monkeypatch)
    return tmp_path / "checkpoint"  # never built: every refusal comes before the weights


def assert_refused(argv: list[str], fragment: str, capsys) -> None:
    """``paretolab argv`` exits 2 with one line naming ``fragment``."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's refusals exit from inside the parser
        code = exc.code
    assert code == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert lines[0].startswith("paretolab: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in out.err + out.out


def test_a_run_trained_from_scratch(store: RunStore, tmp_path: Path, capsys, export_cli) -> None:
    run_id = queue_run(store, tiny_config())
    out = tmp_path / "out"
    argv = ["export-model", str(run_id), "--out", str(out)]
    assert_refused(argv, "from scratch; export-model writes pretrained", capsys)
    assert not out.exists()


def test_a_run_with_no_checkpoint(store: RunStore, tmp_path: Path, capsys, export_cli) -> None:
    run_id = queue_run(store, bert_classifier_config(export_cli, "lora"))
    out = tmp_path / "out"
    argv = ["export-model", str(run_id), "--out", str(out), "--checkpoint", "last"]
    assert_refused(argv, f"run {run_id} has no last checkpoint", capsys)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["home"]


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda out: (out.mkdir(), (out / "model.safetensors").write_text("mine")), "not empty"),
        (lambda out: out.write_text("mine"), "is a file"),
    ],
    ids=["a folder with files", "a file"],
)
def test_an_out_that_holds_something(
    store: RunStore, tmp_path: Path, capsys, export_cli, make, fragment: str
) -> None:
    run_id = queue_run(store, bert_classifier_config(export_cli, "full"))
    out = tmp_path / "out"
    make(out)
    before = sorted(p.name for p in out.iterdir()) if out.is_dir() else out.read_text()
    assert_refused(["export-model", str(run_id), "--out", str(out)], fragment, capsys)
    assert (sorted(p.name for p in out.iterdir()) if out.is_dir() else out.read_text()) == before


def test_an_unknown_run(store: RunStore, tmp_path: Path, capsys, export_cli) -> None:
    assert_refused(
        ["export-model", "7", "--out", str(tmp_path / "out")], "no run with id 7", capsys
    )


def test_an_unknown_checkpoint_name(store: RunStore, tmp_path: Path, capsys, export_cli) -> None:
    argv = ["export-model", "1", "--out", str(tmp_path / "out"), "--checkpoint", "first"]
    assert_refused(argv, "--checkpoint: invalid choice: 'first'", capsys)
