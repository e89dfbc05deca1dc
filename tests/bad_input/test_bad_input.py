"""The bad-input corpus: each case is one clear line, exit code 2, no traceback, no run stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lightning_modules.data.data_check import check_user_data
from paretolab.cli import main
from paretolab.config.io import load_config
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.bad_input.corpus import CONFIGS, DATA_FILES, OVERRIDES, SPECS
from tests.conftest import REPO, TINY
from tests.sweeps.conftest import write_spec

FILE_CONFIG = REPO / "configs" / "file_csv_tiny.yaml"


def assert_refused(argv: list[str], fragment: str, capsys, store: RunStore) -> None:
    """``paretolab argv`` exits 2 with one line naming ``fragment`` and stores nothing."""
    assert main(argv) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert lines[0].startswith("paretolab: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in out.err + out.out
    assert store.list_runs() == []


@pytest.mark.parametrize("content, fragment", [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_a_malformed_config(tmp_path, content, fragment, capsys, store) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    assert_refused(["train", str(path)], fragment, capsys, store)


@pytest.mark.parametrize(
    "value, fragment", [c[1:] for c in OVERRIDES], ids=[c[0] for c in OVERRIDES]
)
def test_a_malformed_override(value, fragment, capsys, store) -> None:
    assert_refused(["train", str(TINY), "--set", value], fragment, capsys, store)


@pytest.mark.parametrize(
    "name, content, overrides, fragment",
    [c[1:] for c in DATA_FILES],
    ids=[c[0] for c in DATA_FILES],
)
def test_a_malformed_data_file(tmp_path, name, content, overrides, fragment) -> None:
    # The check `paretolab train` runs in its data-check process, run here in-process
    # (one case below goes through the whole command).
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    config = load_config(FILE_CONFIG, [f"data.path={path}", "wandb.mode=disabled", *overrides])
    with pytest.raises(UserError) as info:
        check_user_data(config)
    message = str(info.value)
    assert fragment in message and "\n" not in message, message


@pytest.mark.slow
def test_a_data_file_without_its_column_through_the_command(tmp_path, capsys, store) -> None:
    path = tmp_path / "notext.csv"
    path.write_text("words,label\none,en\ntwo,en\n")
    assert_refused(["train", str(FILE_CONFIG), "--set", f"data.path={path}"], "text", capsys, store)


@pytest.mark.parametrize("changes, fragment", [c[1:] for c in SPECS], ids=[c[0] for c in SPECS])
def test_a_malformed_search_space(tmp_path, changes, fragment, capsys, store) -> None:
    spec = write_spec(tmp_path)
    data = yaml.safe_load(spec.read_text())
    for key, value in changes.items():
        if key == "parameters":
            data["parameters"].update(value)
        else:
            data[key] = value
    spec.write_text(yaml.safe_dump(data))
    assert_refused(["sweep", "run", str(spec)], fragment, capsys, store)
    assert not (Path(store.url.split("///")[-1]).parent / "sweeps").exists()  # no study made
