"""Switchable text cleaning (``config.clean``), applied to every text before tokenization.

The steps run in a fixed order, each only when its switch is on:

1. ``strip_html``: tags go (block tags such as ``<br>`` and ``<p>`` become a line break so
   words on either side stay apart), ``<script>``/``<style>`` bodies and comments go, and
   entities are unescaped (``&amp;`` → ``&``), all by the standard library's HTML parser;
2. ``strip_control``: ``\\r\\n`` and ``\\r`` become ``\\n``; every other control character
   (Unicode category Cc) except ``\\n`` and ``\\t`` is removed;
3. ``normalize_unicode``: NFKC (full-width letters, ligatures, non-breaking spaces → plain);
4. ``collapse_whitespace``: every run of white space becomes one space, ends trimmed.

HTML comes first because entities can produce control characters and non-breaking spaces
that the later steps then handle.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from html.parser import HTMLParser

from paretolab.config import CleanConfig

# Tags that separate text visually; each becomes a line break so "a<br>b" stays two words.
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_HIDDEN_TAGS = frozenset({"script", "style"})  # their content is code, never text
# C0 and C1 control characters except tab and newline (carriage returns are turned into
# newlines before this table applies).
_CONTROL = {c: None for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n"}


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML fragment (entities unescaped by ``convert_charrefs``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:  # <br/>
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def strip_html(text: str) -> str:
    """The text of an HTML fragment: tags removed, entities unescaped."""
    if "<" not in text and "&" not in text:
        return text  # nothing to parse: most texts, and the parser is slow
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def strip_control(text: str) -> str:
    """``text`` with line endings as ``\\n`` and other control characters (but tabs) removed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)


def clean_text(text: str, cfg: CleanConfig) -> str:
    """One text after the cleaning steps switched on in ``cfg`` (see the module docstring)."""
    if cfg.strip_html:
        text = strip_html(text)
    if cfg.strip_control:
        text = strip_control(text)
    if cfg.normalize_unicode:
        text = unicodedata.normalize("NFKC", text)
    if cfg.collapse_whitespace:
        text = " ".join(text.split())
    return text


def clean_texts(texts: Iterable[str], cfg: CleanConfig) -> list[str]:
    """Every text after ``clean_text``; a plain copy when every switch is off."""
    if not any(cfg.model_dump().values()):
        return list(texts)
    return [clean_text(t, cfg) for t in texts]
