"""Bad input to the dashboard's hardened paths: each is refused in one clear line (exit code 2
on the command line, one error on the page), with no traceback and nothing run or served."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from paretolab import settings
from paretolab.cli import main
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import dashboard_env, open_page  # noqa: F401 (autouse fixture)


class Payload:
    """Unpickled without ``weights_only``, this would run a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def crafted(marker: Path) -> bytes:
    buf = io.BytesIO()
    torch.save({"hyper_parameters": Payload(marker), "state_dict": {}}, buf)
    return buf.getvalue()


def truncated(marker: Path) -> bytes:
    buf = io.BytesIO()
    torch.save({"state_dict": {"w": torch.zeros(64)}}, buf)
    return buf.getvalue()[:300]


def no_task(marker: Path) -> bytes:
    buf = io.BytesIO()
    torch.save({"weights": torch.zeros(2)}, buf)
    return buf.getvalue()


CHECKPOINTS = [
    ("crafted-pickle-in-zip", crafted, "refused to load it: Trying to load unsupported GLOBAL"),
    ("plain-pickle", lambda m: pickle.dumps(Payload(m)), "refused to load it: Unsupported"),
    ("not-a-zip", lambda m: b"garbage" * 10, "refused to load it"),
    ("empty", lambda m: b"", "could not be read as a checkpoint"),
    ("truncated", truncated, "could not be read as a checkpoint"),
    ("zip-of-nothing", lambda m: _empty_zip(), "refused to load it"),
    ("safe-but-no-task", no_task, "is not a paretolab checkpoint"),
]


def _empty_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w"):
        pass
    return buf.getvalue()


@pytest.fixture(params=CHECKPOINTS, ids=[c[0] for c in CHECKPOINTS])
def bad_checkpoint(request, store: RunStore, tmp_path: Path) -> tuple[int, str, Path]:
    """A run whose best checkpoint is a bad file; the fragment its refusal names; a marker
    file the payload would create if it ran."""
    _, make, fragment = request.param
    run_id = queue_run(store, tiny_config())
    folder = settings.run_dir(run_id) / "checkpoints"
    folder.mkdir(parents=True)
    marker = tmp_path / "payload-ran"
    (folder / "best.ckpt").write_bytes(make(marker))
    return run_id, fragment, marker


def test_attention_command_refuses_it_in_one_line(bad_checkpoint, tmp_path, capsys) -> None:
    run_id, fragment, marker = bad_checkpoint
    out_file = tmp_path / "maps.npz"
    assert main(["attention", str(run_id), "--text", "hi", "--out", str(out_file)]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert lines[0].startswith("paretolab: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in out.err + out.out
    assert not marker.exists() and not out_file.exists()


def test_look_inside_page_refuses_it_in_one_line(bad_checkpoint) -> None:
    run_id, fragment, marker = bad_checkpoint
    at = open_page("views/attention.py", run=str(run_id))
    assert [fragment in e.value for e in at.error] == [True]
    assert not marker.exists()
