"""What the Run page shows of an artifact inline, before anyone downloads it: a text or
log file's beginning, JSON pretty-printed, a CSV's first rows as a table, an image.

Only the first ``TEXT_BYTES`` of a text file are read, so a large log previews as fast as a
small one; images are shown whole up to ``IMAGE_BYTES``.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

from dashboard.services.artifact_files import read_artifact

TEXT_BYTES = 64 * 1024
IMAGE_BYTES = 8 * 2**20
TABLE_ROWS = 200
_KINDS = {
    **dict.fromkeys((".txt", ".log", ".md", ".yaml", ".yml", ".py", ".out", ".err"), "text"),
    ".json": "json",
    **dict.fromkeys((".csv", ".tsv"), "table"),
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".gif", ".webp"), "image"),
}


@dataclass(frozen=True)
class Preview:
    """An artifact's preview: ``kind`` is ``text``, ``json``, ``table`` or ``image``."""

    kind: str
    text: str = ""
    table: pd.DataFrame | None = None
    image: bytes = b""
    note: str = ""
    """What the preview leaves out, e.g. "the first 64 KB of 2,100,000 bytes"."""


def preview_kind(path: str) -> str | None:
    """``text``, ``json``, ``table`` or ``image`` by the file's ending; None: no preview."""
    return _KINDS.get(PurePosixPath(path).suffix.lower())


def artifact_preview(run_id: int, relative: str, size_bytes: int) -> Preview | None:
    """The preview of a recorded artifact of ``size_bytes`` (None: no preview for its kind,
    or an image too large to show here).

    Raises:
        UserError: the path is not the run folder's own file (``artifact_files``).
    """
    kind = preview_kind(relative)
    if kind is None or (kind == "image" and size_bytes > IMAGE_BYTES):
        return None
    if kind == "image":
        return Preview("image", image=read_artifact(run_id, relative))
    data = read_artifact(run_id, relative, TEXT_BYTES)
    cut = len(data) < size_bytes
    if cut:  # end at a line break: no half line, no half character
        data = data[: data.rfind(b"\n") + 1] or data
    note = f"the first {len(data):,} of {size_bytes:,} bytes" if cut else ""
    text = data.decode("utf-8", errors="replace")
    if kind == "json" and not cut:
        try:
            return Preview("json", text=json.dumps(json.loads(text), indent=2))
        except ValueError:
            return Preview("text", text=text, note="not valid JSON; shown as text")
    if kind == "table":
        return _table(text, relative, note)
    return Preview("text", text=text, note=note)


def _table(text: str, relative: str, note: str) -> Preview:
    sep = "\t" if relative.lower().endswith(".tsv") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, nrows=TABLE_ROWS)
    except (ValueError, pd.errors.ParserError) as exc:
        return Preview("text", text=text, note=f"not a table pandas can read ({exc})")
    shown = f"the first {len(frame):,} rows" if len(frame) == TABLE_ROWS else ""
    return Preview("table", table=frame, note="; ".join(n for n in (shown, note) if n))
