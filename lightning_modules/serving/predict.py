"""``paretolab predict``: a registered version's predictions for typed texts or a file,
as JSON Lines or CSV, on PyTorch or ONNX Runtime, with a progress bar on stderr."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lightning_modules.serving.export import load_version
from lightning_modules.serving.predict_inputs import read_inputs
from lightning_modules.serving.predictor import Predictor
from lightning_modules.serving.runtime import open_runtime
from paretolab import model_registry
from paretolab.errors import UserError
from paretolab.files import write_atomically
from paretolab.store import RunStore

FORMATS = (".csv", ".jsonl")


def predict(
    ref: str,
    texts: list[str] | None = None,
    input_path: str | None = None,
    column: str | None = None,
    runtime: str = "pytorch",
    batch_size: int = 32,
    top_k: int = 3,
    progress: bool = True,
    store: RunStore | None = None,
) -> list[dict[str, Any]]:
    """Records (``input`` first) for ``texts`` or the inputs in ``input_path``.

    Raises:
        UserError: an unknown model, version or alias; missing checkpoint files; an input
            file with the wrong column; both or neither of ``texts`` and ``input_path``.
    """
    if bool(texts) == bool(input_path):
        raise UserError("give either --text (one or more) or --input FILE")
    store = store or RunStore()
    version = model_registry.resolve(ref, store)
    run = load_version(version, store)
    items = list(texts) if texts else read_inputs(run, input_path, column)
    predictor = Predictor(run, open_runtime(runtime, run, version, store), top_k=top_k)
    records: list[dict[str, Any]] = []
    for start in _progress(range(0, len(items), batch_size), len(items), batch_size, progress):
        chunk = items[start : start + batch_size]
        for item, record in zip(chunk, predictor.predict(chunk), strict=True):
            records.append({"input": item, **record})
    return records


def write_records(records: list[dict[str, Any]], out: str | None) -> str | None:
    """Write ``records`` to ``out`` (``.csv`` or ``.jsonl``, never half-written); with no
    ``out``, return them as JSON Lines for stdout."""
    if out is None:
        return _jsonl(records)
    path = Path(out)
    if path.suffix.lower() not in FORMATS:
        raise UserError(f"--out {path}: name a .csv or .jsonl file")
    write_atomically(path, _csv(records) if path.suffix.lower() == ".csv" else _jsonl(records))
    return None


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _csv(records: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    columns = list(records[0]) if records else ["input"]
    writer = csv.DictWriter(buf, columns, lineterminator="\n")
    writer.writeheader()
    for r in records:  # top-k as JSON inside its cell
        writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()})
    return buf.getvalue()


def _progress(starts: range, total: int, batch_size: int, shown: bool) -> Iterable[int]:
    if not shown:
        return starts
    from tqdm import tqdm

    bar = tqdm(total=total, unit="input", desc="predict", leave=False)

    def advance() -> Iterable[int]:
        with bar:
            for start in starts:
                yield start
                bar.update(min(batch_size, total - start))

    return advance()
