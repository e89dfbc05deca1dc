"""Bounds on everything a user can type or upload, in one place.

Every limit here is checked where the input arrives (config validation, the store's edit
calls, the user-file reader, the YAML loader) and refused with a message that names the
limit and how to get under it. Nothing a user types should be able to exhaust the host.
"""

from __future__ import annotations

# Run names, tags and notes (config fields and the Run page's edit boxes).
MAX_NAME_CHARS = 200
MAX_TAGS = 64
MAX_TAG_CHARS = 64
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


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut (for error messages)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"
