"""The user's own data files: shared checks (path, size, UTF-8) and plain-text corpora.

Every problem is a ``UserError`` with one line: the file, the line where there is one
(1-based, as an editor shows it), what is wrong and how to fix it, e.g.
``reviews.csv, line 17: column 'text' is empty; fill it in or delete the row``.
Tables live in ``data.user.tables``, images in ``data.user.images``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from paretolab import limits
from paretolab.errors import UserError

MIN_EXAMPLES = 10
"""Fewest rows (documents, images) a file may hold: enough for a train/val/test split."""

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")
TEXT_SUFFIXES = (".txt",)
_BYTES_PER_MB = 1_000_000
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_READ_LIMIT: ContextVar[int | None] = ContextVar("read_limit", default=None)


def data_error(path: Path | str, problem: str, line: int | None = None) -> UserError:
    """The error for ``problem`` in the file ``path`` (at ``line``, 1-based, if given)."""
    where = f"{path}, line {line}" if line is not None else str(path)
    return UserError(f"{where}: {problem}")


def checked_file(path: str | Path, max_mb: float) -> Path:
    """``path`` as a ``Path`` once it is known to be a regular, non-empty file within the limit.

    Raises:
        UserError: missing, a folder or device, empty, or larger than ``max_mb`` megabytes.
    """
    path = Path(path)
    if not path.exists():
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
        raise data_error(path, f"no such file{where}; check data.path")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise data_error(path, f"is {kind}; data.path must name a data file here")
    size = path.stat().st_size
    if size == 0:
        raise data_error(path, "the file is empty; point data.path at a file with data")
    check_size(path, size, max_mb)
    return path


def check_size(path: Path, size: int, max_mb: float) -> None:
    """Refuse ``size`` bytes over ``max_mb`` megabytes (``data.max_file_mb``)."""
    if size > max_mb * _BYTES_PER_MB:
        raise data_error(
            path,
            f"{size / _BYTES_PER_MB:,.1f} MB is over data.max_file_mb={max_mb:g}; "
            "raise data.max_file_mb or use a smaller file",
        )


def read_utf8(path: str | Path, max_mb: float) -> str:
    """The file's text, decoded as UTF-8 (a leading byte-order mark is dropped).

    Raises:
        UserError: as ``checked_file``, or the file holds NUL bytes (binary, UTF-16) or bytes
            that are not UTF-8 (with the line and the byte's offset in that line).
    """
    path = checked_file(path, max_mb)
    raw = _read_bytes(path)
    _check_rows(path, raw)
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, _ = _line_of(raw, nul)
        raise data_error(
            path,
            "holds NUL bytes: a binary file, or text saved as UTF-16; save it as UTF-8 text",
            line,
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_of(raw, exc.start)
        raise data_error(
            path,
            f"byte 0x{raw[exc.start]:02X} at byte {column + 1} of the line is not valid UTF-8; "
            "save the file as UTF-8 (spreadsheets: 'CSV UTF-8')",
            line,
        ) from None


@contextmanager
def reading_at_most(limit: int) -> Iterator[None]:
    """Within the block, read only a file's first ``limit`` bytes (cut after the last whole
    line): the pre-launch check, which must not take as long as training's full read."""
    token = _READ_LIMIT.set(limit)
    try:
        yield
    finally:
        _READ_LIMIT.reset(token)


def _read_bytes(path: Path) -> bytes:
    limit = _READ_LIMIT.get()
    if limit is None or path.stat().st_size <= limit:
        return path.read_bytes()
    with path.open("rb") as fh:
        raw = fh.read(limit)
    end = raw.rfind(b"\n")
    return raw[: end + 1] if end >= 0 else raw


def _check_rows(path: Path, raw: bytes) -> None:
    """Refuse a line (a row of a table, a line of text) over ``MAX_ROW_BYTES``: one huge row
    takes many times its size in memory once tokenized."""
    lines = raw.split(b"\n")
    if max(map(len, lines)) <= limits.MAX_ROW_BYTES:
        return
    number, line = next((i, x) for i, x in enumerate(lines, 1) if len(x) > limits.MAX_ROW_BYTES)
    raise data_error(
        path,
        f"the line is {len(line):,} bytes, over the {limits.MAX_ROW_BYTES:,} a row may hold "
        "(MAX_ROW_BYTES); split it into shorter rows",
        number,
    )


def _line_of(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and 0-based byte column of ``offset`` in ``raw``."""
    return raw.count(b"\n", 0, offset) + 1, offset - (raw.rfind(b"\n", 0, offset) + 1)


def read_documents(
    path: str | Path, max_mb: float, split: bool, clean: Callable[[str], str] = str
) -> list[str]:
    """A ``.txt`` file as documents: the whole file (``split=False``), or its paragraphs.

    Paragraphs are separated by blank lines; a file without any blank line has one document
    per non-empty line (one sentence or record per line, as pretraining corpora often are).
    ``clean`` is applied to each document; documents empty afterwards are dropped.

    Raises:
        UserError: as ``read_utf8``; the file holds only white space; with ``split``, fewer
            than ``MIN_EXAMPLES`` documents.
    """
    text = read_utf8(path, max_mb).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise data_error(path, "the file holds only white space; point data.path at some text")
    if not split:
        docs = [clean(text)]
    else:
        parts = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
        docs = [clean(p.strip()) for p in parts if p.strip()]
    docs = [d for d in docs if d.strip()]
    if not docs:
        raise data_error(path, "no text is left after cleaning; check the `clean` section")
    if split and len(docs) < MIN_EXAMPLES:
        raise data_error(
            path,
            f"only {len(docs)} documents (paragraphs separated by blank lines, or lines); "
            f"at least {MIN_EXAMPLES} are needed for train/val/test splits; add text",
        )
    return docs


def require_suffix(path: str | Path, task: str, allowed: tuple[str, ...]) -> None:
    """Refuse a file whose suffix is not one of ``allowed`` for ``task``."""
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        got = f"a {suffix} file" if suffix else "a file without a suffix"
        raise data_error(
            path, f"task={task} reads {', '.join(allowed)} files, not {got}; convert it"
        )
