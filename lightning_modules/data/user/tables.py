"""The user's tables: CSV (``.csv``), TSV (``.tsv``) and JSON Lines (``.jsonl``, ``.ndjson``).

CSV and TSV files start with a header row naming the columns; JSON Lines files hold one
JSON object per line. Blank lines (and CSV rows with only empty fields, as spreadsheets
export) are skipped. Every needed column must be present and non-empty in every row; a
problem names the file and the line (1-based; a CSV row spanning lines is named by its first).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightning_modules.data.user.files import MIN_EXAMPLES, data_error, read_utf8
from paretolab import limits
from paretolab.config import DataConfig

Record = dict[str, Any]


@dataclass
class Table:
    """The needed columns of a table, by config field (e.g. ``text_column``), and each row's line."""

    path: Path
    columns: dict[str, list[str]]
    lines: list[int]


def read_table(
    data: DataConfig,
    fields: tuple[str, ...],
    clean: Callable[[str], str] = str,
    cleaned: tuple[str, ...] = (),
    min_rows: int = MIN_EXAMPLES,
    setting: str = "data.{field}",
) -> Table:
    """Read ``data.path``'s columns named by the config ``fields`` (e.g. ``("text_column",)``).

    Args:
        data: the data section (path, column names, size limit).
        fields: config fields naming the columns to read.
        clean: text cleaning, applied to the columns of the ``cleaned`` fields.
        cleaned: the fields holding text (the others, labels, are only trimmed).
        min_rows: fewest rows accepted (training needs enough for its splits).
        setting: how messages name the setting of a column (``paretolab predict`` names
            its ``--column`` option).

    Raises:
        UserError: any problem of the file (see the module docstring), or fewer than
            ``MIN_EXAMPLES`` rows.
    """
    path = Path(data.path)
    text = read_utf8(path, data.max_file_mb)
    jsonl = path.suffix.lower() in (".jsonl", ".ndjson")

    def require_columns(line: int, present: list[str]) -> None:
        for field in fields:
            column = getattr(data, field)
            if column not in present:
                name = setting.format(field=field)
                raise _missing_column(path, line, name, column, present, jsonl)
            if present.count(column) > 1:  # which one would train is anyone's guess
                raise data_error(
                    path,
                    f"column {column!r} appears twice in the header (data.{field}); rename one",
                    line,
                )

    records = _jsonl_records if jsonl else _csv_records
    out: dict[str, list[str]] = {field: [] for field in fields}
    lines: list[int] = []
    for line, record in records(path, text, require_columns):
        for field in fields:
            column = getattr(data, field)
            raw = _as_text(path, line, column, record[column])
            if len(raw) > limits.MAX_CELL_CHARS:
                raise data_error(
                    path,
                    f"column {column!r} holds {len(raw):,} characters, over the "
                    f"{limits.MAX_CELL_CHARS:,} a cell may hold (MAX_CELL_CHARS); shorten it "
                    "or split it over several rows",
                    line,
                )
            value = clean(raw) if field in cleaned else raw.strip()
            if not value.strip():
                what = "is empty" if not raw.strip() else "is empty after cleaning (`clean`)"
                raise data_error(
                    path, f"column {column!r} {what}; fill it in or delete the row", line
                )
            out[field].append(value)
        lines.append(line)
    if len(lines) < min_rows:
        needed = "for train/val/test splits" if min_rows == MIN_EXAMPLES else "to predict"
        raise data_error(
            path,
            f"only {len(lines)} rows of data; at least {min_rows} are needed {needed}; add rows",
        )
    return Table(path, out, lines)


def labelled_texts(
    data: DataConfig, clean: Callable[[str], str] = str
) -> tuple[list[str], list[str]]:
    """Texts and class labels; at least two classes are required."""
    table = read_table(data, ("text_column", "label_column"), clean, ("text_column",))
    labels = table.columns["label_column"]
    if len(set(labels)) < 2:
        raise data_error(
            table.path,
            f"every row has the label {labels[0]!r} in column {data.label_column!r}; "
            "classification needs at least two classes: add rows of another class "
            "or choose another data.label_column",
        )
    return table.columns["text_column"], labels


def regression_texts(
    data: DataConfig, clean: Callable[[str], str] = str
) -> tuple[list[str], list[float]]:
    """Texts and their finite numeric targets."""
    table = read_table(data, ("text_column", "label_column"), clean, ("text_column",))
    values = []
    for line, raw in zip(table.lines, table.columns["label_column"], strict=True):
        try:
            value = float(raw)
        except ValueError:
            raise data_error(
                table.path,
                f"{raw!r} in column {data.label_column!r} is not a number; regression needs "
                "a number in every row (or choose another data.label_column)",
                line,
            ) from None
        if not math.isfinite(value):
            raise data_error(
                table.path,
                f"{raw!r} in column {data.label_column!r} is not a finite number; "
                "give a real value or delete the row",
                line,
            )
        values.append(value)
    if min(values) == max(values):  # nothing to learn, and the targets cannot be scaled
        raise data_error(
            table.path,
            f"every row has the target {values[0]:g} in column {data.label_column!r}; "
            "regression needs targets that vary: add rows with other values "
            "or choose another data.label_column",
        )
    return table.columns["text_column"], values


def text_pairs(data: DataConfig, clean: Callable[[str], str] = str) -> tuple[list[str], list[str]]:
    """Source and target sequences (seq2seq)."""
    fields = ("source_column", "target_column")
    table = read_table(data, fields, clean, fields)
    return table.columns["source_column"], table.columns["target_column"]


def text_column(data: DataConfig, clean: Callable[[str], str] = str) -> list[str]:
    """Only the texts (language modelling, masked-LM pretraining)."""
    return read_table(data, ("text_column",), clean, ("text_column",)).columns["text_column"]


def _csv_records(
    path: Path, text: str, check_header: Callable[[int, list[str]], None]
) -> Iterator[tuple[int, Record]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    # A field can be as long as the file (a whole article); the default limit is 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(field.strip() for field in row):
                continue
            if header is None:
                header = [name.strip() for name in row]
                check_header(line, header)
                continue
            if sum(map(len, row)) > limits.MAX_ROW_BYTES:  # a quoted field spanning lines
                raise data_error(
                    path,
                    f"the row holds {sum(map(len, row)):,} characters, over the "
                    f"{limits.MAX_ROW_BYTES:,} a row may hold (MAX_ROW_BYTES); split it "
                    "into shorter rows",
                    line,
                )
            if len(row) != len(header):
                sep = "tab" if delimiter == "\t" else "comma"
                raise data_error(
                    path,
                    f"{len(row)} fields, but the header has {len(header)}; put quotes around "
                    f'fields that contain a {sep} ("a{delimiter} b") or fix the row',
                    line,
                )
            yield line, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        raise data_error(
            path, f"not valid CSV ({exc}); check the quoting of this row", reader.line_num
        ) from None


def _jsonl_records(
    path: Path, text: str, check_keys: Callable[[int, list[str]], None]
) -> Iterator[tuple[int, Record]]:
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise data_error(
                path,
                f"not valid JSON ({exc.msg} at column {exc.colno}); write one JSON object per line",
                line,
            ) from None
        except _DuplicateKey as exc:
            # json.loads would keep the last value silently, as a second CSV column would.
            raise data_error(
                path, f"key {exc.key!r} appears twice in this object; rename or remove one", line
            ) from None
        if not isinstance(record, dict):
            raise data_error(
                path,
                f"a JSON {type(record).__name__}, not an object; write one object per line, "
                'e.g. {"text": "…", "label": "…"}',
                line,
            )
        check_keys(line, list(record))
        yield line, record


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> Record:
    """A JSON object as a dict, refusing a key given twice."""
    record = dict(pairs)
    if len(record) < len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return record


def _as_text(path: Path, line: int, column: str, value: Any) -> str:
    """A cell as text: JSON numbers and booleans become their text; lists, objects fail."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise data_error(
            path,
            f"column {column!r} holds a JSON {type(value).__name__}; it must be text or a number",
            line,
        )
    return value if isinstance(value, str) else json.dumps(value)


def _missing_column(
    path: Path, line: int, setting: str, column: str, present: list[str], jsonl: bool
) -> Exception:
    close = difflib.get_close_matches(column, present, n=1, cutoff=0.5)
    hint = f"set {setting}={close[0]}" if close else f"set {setting} to one of them"
    where = "this object has keys" if jsonl else "the header has columns"
    listed = ", ".join(repr(c) for c in present[:20]) or "none"
    return data_error(path, f"no column {column!r} ({setting}); {where} {listed}; {hint}", line)
