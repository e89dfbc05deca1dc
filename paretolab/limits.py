"""Bounds on everything a user can type or upload, in one place.

Every limit here is checked where the input arrives (config validation, the store's edit
calls, the user-file reader, the YAML loader) and refused with a message that names the
limit and how to get under it. Nothing a user types should be able to exhaust the host.
"""

from __future__ import annotations

from collections.abc import Sequence

from paretolab.errors import UserError

# Run names, tags and notes (config fields and the Run page's edit boxes).
MAX_NAME_CHARS = 200
MAX_TAGS = 64
# A sweep tags its trials `sweep:<study>`, and a study name may be 100 characters.
MAX_TAG_CHARS = 128
MAX_NOTES_CHARS = 20_000

# A config or sweep spec as text, and as the YAML loader expands it.
MAX_CONFIG_BYTES = 1_000_000
MAX_YAML_NODES = 100_000

# User data files: one row (a line of CSV/JSONL/text) and one cell, and how much of a file
# the pre-launch check reads.
MAX_ROW_BYTES = 1_000_000
MAX_CELL_CHARS = 200_000
MAX_CHECK_BYTES = 64 * 1024 * 1024

# Any one error message: longer ones are cut, with the count of what was left out.
MAX_MESSAGE_CHARS = 500
# The CLI's whole error line, which may join several such messages (one per bad field).
MAX_ERROR_LINE_CHARS = 2_000


def tags_problem(tags: Sequence[str]) -> str | None:
    """Why ``tags`` are over the limits (None when they are not)."""
    if len(tags) > MAX_TAGS:
        return f"{len(tags):,} tags, at most {MAX_TAGS} allowed; keep the ones you filter by"
    for tag in tags:
        if len(tag) > MAX_TAG_CHARS:
            return (
                f"tag {quoted(tag, 40)} is {len(tag):,} characters, at most "
                f"{MAX_TAG_CHARS} allowed; put longer text in the notes"
            )
    return None


def text_problem(field: str, text: str, limit: int) -> str | None:
    """Why ``text`` (the field ``field``) is over ``limit`` characters (None when it is not)."""
    if len(text) <= limit:
        return None
    verb = "are" if field.endswith("s") else "is"  # "the notes are", "the name is"
    return f"{field} {verb} {len(text):,} characters, at most {limit:,} allowed; shorten it"


def check_run_text(name: str = "", tags: Sequence[str] = (), notes: str = "") -> None:
    """Refuse a run's name, tags or notes over the limits (the store's create and edit calls).

    Raises:
        UserError: naming the first limit passed.
    """
    problem = (
        text_problem("the name", name, MAX_NAME_CHARS)
        or tags_problem(tags)
        or text_problem("the notes", notes, MAX_NOTES_CHARS)
    )
    if problem:
        raise UserError(problem)


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut (for error messages)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def quoted(value: object, limit: int = 100) -> str:
    """``repr(value)`` for an error message, at most about ``limit`` characters.

    A long string is cut before ``repr``, so a value of megabytes is never copied whole
    just to show its start.
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value) - limit:,} more characters)"
    return clip(repr(value), limit)
