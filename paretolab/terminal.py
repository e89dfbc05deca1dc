"""Text for a terminal: what users typed is shown, never executed by the terminal.

A run name, tag or error text may hold ESC/OSC sequences (which recolour, retitle or rewrite
the screen, or forge a hyperlink), bidi overrides (which reorder what is shown) or newlines
(which forge table rows). Everything the CLI prints goes through ``printable``.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

# C0 and C1 controls, DEL, and the Unicode bidi/format controls that reorder text.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\n``).

    Args:
        text: what to show (``str()`` is taken of anything else).
        keep_newlines: keep ``\\n`` as a line break (for whole reports whose fields are
            already escaped); tabs and carriage returns are escaped either way.
    """
    text = str(text)
    if not _CONTROLS.search(text):
        return text

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if keep_newlines and char == "\n":
            return char
        if char in _NAMED:
            return _NAMED[char]
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROLS.sub(escape, text)


def echo(text: object, file: TextIO | None = None) -> None:
    """Print ``text`` with its control characters escaped (line breaks kept)."""
    print(printable(text, keep_newlines=True), file=file or sys.stdout)


def fixed_width(rows: list[list[str]]) -> str:
    """Rows of cells (the header first) as left-aligned columns two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )
