"""A run's metric history as a file: CSV (one row per point) or JSON (run + metrics), for
``paretolab runs export``."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from paretolab.errors import UserError
from paretolab.files import write_atomically
from paretolab.store import RunStore


def export_run(store: RunStore, run_id: int, fmt: str) -> str:
    """The run's full metric history as CSV (one row per point) or JSON (run + metrics).

    NaN and ±inf are written as ``nan``/``inf``/``-inf`` in CSV, and as the strings
    ``"NaN"``/``"Infinity"``/``"-Infinity"`` in JSON (plain JSON has no such numbers).
    """
    run = store.get_run(run_id)
    histories = [store.metric_history(run_id, key) for key in store.metric_keys(run_id)]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["run_id", "key", "step", "value", "wall_time"])
        for h in histories:
            for step, value, wall in zip(h.steps, h.values, h.wall_times, strict=True):
                writer.writerow([run_id, h.key, step, repr(value), f"{wall:.3f}"])
        return buf.getvalue()
    if fmt == "json":
        doc = {
            "run": {
                "id": run.id,
                "name": run.name,
                "status": run.status,
                "task": run.task,
                "created_at": run.created_at,
                "started_at": run.started_at,
                "ended_at": run.ended_at,
                "error": run.error,
                "tags": list(run.tags),
                "notes": run.notes,
                "config": run.config,
            },
            "metrics": {
                h.key: [
                    {"step": s, "value": _json_float(v), "wall_time": w}
                    for s, v, w in zip(h.steps, h.values, h.wall_times, strict=True)
                ]
                for h in histories
            },
        }
        return json.dumps(doc, indent=1, allow_nan=False) + "\n"
    raise ValueError(f"unknown export format {fmt!r}")


def write_export(out: str, text: str) -> None:
    """Write an export to the ``--out`` file.

    Raises:
        UserError: its folder does not exist or cannot be written to.
    """
    folder = Path(out).parent
    if not folder.is_dir():
        raise UserError(f"--out {out}: folder {folder} does not exist; create it or pick another")
    try:
        write_atomically(out, text)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None


def _json_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
