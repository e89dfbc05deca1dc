"""What ``paretolab predict`` reads: typed texts, a table's column, a text file's lines, or
image files, checked with one-line errors (the table reader is the training data's)."""

from __future__ import annotations

from pathlib import Path

from lightning_modules.data.user.tables import read_table
from lightning_modules.inspection.loading import LoadedRun
from paretolab.errors import UserError

TABLES = (".csv", ".tsv", ".jsonl", ".ndjson")
IMAGES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def read_inputs(run: LoadedRun, path: str, column: str | None = None) -> list[str]:
    """The inputs in ``path``: a CSV/TSV/JSONL column (``column``, default the run's own
    text or source column), a ``.txt`` file's non-empty lines, or, for image models, an
    image file or a folder of them (their paths).

    Raises:
        UserError: a missing file, a wrong column, a file type the model cannot read.
    """
    file = Path(path)
    if not file.exists():
        raise UserError(f"--input {file}: no such file or folder")
    if run.reads_images:
        return _images(file)
    suffix = file.suffix.lower()
    if suffix == ".txt":
        return [line for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if suffix not in TABLES:
        raise UserError(f"--input {file}: give a {', '.join(TABLES)} or .txt file")
    field = "source_column" if run.task_name == "seq2seq" else "text_column"
    data = run.config.data.model_copy(update={"path": str(file)})
    if column:
        data = data.model_copy(update={field: column})
    table = read_table(data, (field,), min_rows=1, setting="--column")
    return table.columns[field]


def _images(path: Path) -> list[str]:
    if path.is_file():
        return [str(path)]
    found = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in IMAGES)
    if not found:
        raise UserError(f"--input {path}: no {', '.join(IMAGES)} images in this folder")
    return found
