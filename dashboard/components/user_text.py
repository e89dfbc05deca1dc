"""Text users typed (tags, names, notes), made safe to hand to ``st.markdown``.

Markdown an attacker writes is read by every viewer's browser. Tags and names are shown as
plain text; notes keep their Markdown but lose images, which the browser would fetch from
any URL on opening the page (a tracking pixel, or a request to an internal address). An
inline image becomes a link the reader may click; any other image syntax is shown as text.
"""

from __future__ import annotations

import re
import string

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; escaping all of them
# also covers Streamlit's own syntax (:red[…], :material/icon:, $math$).
_PUNCTUATION = re.compile(f"([{re.escape(string.punctuation)}])")
_INLINE_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?[^)\n]*\)")


def plain_markdown(text: str) -> str:
    """``text`` escaped so that Markdown shows it as typed, on one line."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def notes_markdown(notes: str) -> str:
    """Notes as Markdown with no image the browser would load by itself.

    ``![alt](url)`` becomes the link ``[image: alt](url)``; every other ``![`` (reference
    images, nested or odd forms) gets its bracket escaped, so no image syntax is left.
    """
    linked = _INLINE_IMAGE.sub(lambda m: f"[image: {m[1].strip() or 'link'}]({m[2]})", notes)
    # Last, and on the whole text: whatever the pattern above missed, no "![" survives.
    return linked.replace("![", "!\\[")
