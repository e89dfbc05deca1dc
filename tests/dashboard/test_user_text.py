"""Tags, names and notes users typed: shown as text, and notes never load a remote image."""

from __future__ import annotations

import re

import pytest

from dashboard.components.user_text import notes_markdown, plain_markdown
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page

# Image syntax Markdown would render: "![" whose "!" and "[" are not escaped.
IMAGE = re.compile(r"(?<!\\)!\[")
NOTES_WITH_IMAGES = [
    "![pixel](https://tracker.example/p.png)",
    "see ![](http://10.0.0.1/admin) here",
    '![t](<https://x.example/a b.png> "title")',
    "!![double](https://x.example/d.png)",
    "![ref image][logo]\n\n[logo]: https://x.example/logo.png",
    "![shortcut]\n\n[shortcut]: https://x.example/s.png",
    "![outer ![inner](https://x.example/i.png)](https://x.example/o.png)",
    "\\![escaped bang](https://x.example/e.png)",
    "`code` ![in text](https://x.example/c.png)",
]


@pytest.mark.parametrize("notes", NOTES_WITH_IMAGES)
def test_notes_keep_no_image_syntax(notes: str) -> None:
    assert not IMAGE.search(notes_markdown(notes))


def test_an_inline_image_becomes_a_link_to_click() -> None:
    assert notes_markdown("a ![chart](https://x.example/c.png) b") == (
        "a [image: chart](https://x.example/c.png) b"
    )
    assert notes_markdown("# Best\n\n**so far** [docs](https://x.example)") == (
        "# Best\n\n**so far** [docs](https://x.example)"  # other Markdown stays
    )


@pytest.mark.parametrize(
    "text",
    ["**bold**", "![i](https://x.example/i.png)", ":red[alarm]", "$x^2$", "[a](javascript:1)"],
)
def test_plain_markdown_escapes_every_mark(text: str) -> None:
    escaped = plain_markdown(text)
    assert re.fullmatch(r"(\\[^\w\s]|[\w ])*", escaped)  # every punctuation mark escaped
    assert re.sub(r"\\(.)", r"\1", escaped) == text


def test_run_page_shows_tags_as_text_and_notes_without_images(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("name=**loud**"))
    store.set_tags(run_id, ["![t](https://x.example/t.png)", ":red[urgent]"])
    store.set_notes(run_id, "Result: ![pixel](https://tracker.example/p.png)")
    at = open_page("views/run.py", run=str(run_id))
    rendered = [m.value for m in at.markdown] + [t.value for t in at.title]
    assert not [text for text in rendered if IMAGE.search(text)]
    assert any("[image: pixel](https://tracker.example/p.png)" in text for text in rendered)
    tags_line = next(text for text in rendered if "tags:" in text)
    assert "\\:red\\[urgent\\]" in tags_line
    assert at.title[0].value == "Run 1: \\*\\*loud\\*\\*"
