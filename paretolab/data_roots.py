"""The folders a signed-in dashboard user's ``data.path`` may name.

With sign-in on, the dashboard reads ``data.path`` as the server's own user, so without a
bound any member could read (or train on, or see the header of) any file the server can.
``PARETOLAB_DATA_ROOTS`` lists the folders such a path must lie inside
(``os.pathsep``-separated: ``:`` on Linux and macOS); by default the working directory,
``$PARETOLAB_HOME/data`` and ``$PARETOLAB_HOME/uploads``. A path counts as inside once
symlinks and ``..`` are resolved, so a link inside a root that points out of it is refused.
The CLI, run on one's own machine as oneself, is not bound.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from paretolab import settings
from paretolab.errors import UserError

ROOTS_ENV = "PARETOLAB_DATA_ROOTS"


def data_roots() -> list[Path]:
    """The folders (resolved) a signed-in user's data may come from."""
    listed = os.environ.get(ROOTS_ENV, "")
    if listed.strip():
        folders = [Path(p).expanduser() for p in listed.split(os.pathsep) if p.strip()]
    else:
        home = settings.home_dir()
        folders = [Path.cwd(), home / "data", home / "uploads"]
    return [folder.resolve() for folder in folders]


def is_inside(path: str | Path, roots: Sequence[Path], base: Path) -> bool:
    """True when ``path`` (relative ones against ``base``), symlinks resolved, lies in a root."""
    resolved = (base / Path(path).expanduser()).resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def check_data_root(path: str | None, base: Path, field: str = "data.path") -> None:
    """Refuse a ``data.path`` outside the data roots (None: a built-in dataset, allowed).

    Raises:
        UserError: naming the field and the folders allowed.
    """
    if path is None:
        return
    roots = data_roots()
    if is_inside(path, roots, base):
        return
    shown = ", ".join(str(r) for r in roots)
    raise UserError(
        f"{field}={path}: outside the folders this dashboard reads data from ({shown}); "
        f"put the file in one of them, or ask an admin to add its folder to {ROOTS_ENV}"
    )
