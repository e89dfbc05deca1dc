"""The Run page previews text, JSON, CSV and image artifacts inline, reading only what it
shows, and only the run folder's own files."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from dashboard.services import artifact_preview as previews
from paretolab import settings
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def run_with_files(store: RunStore, home) -> int:
    run_id = queue_run(store, tiny_config())
    run_dir = settings.run_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "confusion_matrix.json": json.dumps({"labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]}),
        "predictions.csv": "text,label\n" + "".join(f"t{i},{i % 2}\n" for i in range(500)),
        "train.log": "".join(f"line {i}\n" for i in range(20_000)),
        "plot.png": png_bytes(),
        "broken.json": "{not json",
    }
    for name, content in files.items():
        path = run_dir / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        store.add_artifact(run_id, name, "file", path.stat().st_size)
    return run_id


def preview(run_id: int, name: str) -> previews.Preview | None:
    size = (settings.run_dir(run_id) / name).stat().st_size
    return previews.artifact_preview(run_id, name, size)


def test_each_kind_previews_what_it_holds(run_with_files: int) -> None:
    matrix = preview(run_with_files, "confusion_matrix.json")
    assert matrix.kind == "json" and json.loads(matrix.text)["matrix"] == [[3, 1], [0, 4]]
    table = preview(run_with_files, "predictions.csv")
    assert table.kind == "table" and list(table.table.columns) == ["text", "label"]
    assert len(table.table) == previews.TABLE_ROWS and "first 200 rows" in table.note
    image = preview(run_with_files, "plot.png")
    assert image.kind == "image" and Image.open(io.BytesIO(image.image)).size == (4, 3)
    broken = preview(run_with_files, "broken.json")
    assert broken.kind == "text" and "not valid JSON" in broken.note


def test_a_large_log_previews_its_beginning_in_whole_lines(run_with_files: int) -> None:
    log = preview(run_with_files, "train.log")
    assert log.kind == "text" and log.text.startswith("line 0\n") and log.text.endswith("\n")
    assert len(log.text) <= previews.TEXT_BYTES
    assert log.note.startswith(f"the first {len(log.text):,} of ")


def test_no_preview_for_unknown_kinds_and_none_for_files_not_the_runs(
    run_with_files: int,
) -> None:
    assert previews.preview_kind("checkpoints/best.ckpt") is None
    assert previews.artifact_preview(run_with_files, "best.ckpt", 10) is None
    with pytest.raises(UserError, match="is not a file of run"):
        previews.artifact_preview(run_with_files, "../secret.txt", 10)


def test_the_run_page_shows_a_preview_when_asked(run_with_files: int) -> None:
    at = open_page("views/run.py", run=str(run_with_files))
    toggle = next(t for t in at.toggle if t.key == "preview_predictions.csv")
    assert not at.dataframe or all("label" not in d.value.columns for d in at.dataframe)
    toggle.set_value(True).run()
    assert not at.exception
    assert any(list(d.value.columns) == ["text", "label"] for d in at.dataframe)
