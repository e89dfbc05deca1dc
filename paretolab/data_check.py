"""The user's data file, made absolute and checked before a run is recorded (CLI side).

A run that names its own file (``data.dataset: file``) is read once by
``python -m lightning_modules.data.data_check`` before the run row exists, so a missing
column or an undecodable byte is one line and exit code 2, never a queued run that fails
later. It is a child process because ``paretolab`` never imports ``lightning_modules``
(the same way the launcher starts ``lightning_modules.run.train``).
"""

from __future__ import annotations

import os
from pathlib import Path

from paretolab.check_process import run_check
from paretolab.config import RunConfig

CHECK_MODULE = "lightning_modules.data.data_check"


def with_absolute_data_path(config: RunConfig, base: Path) -> RunConfig:
    """``config`` with a relative ``data.path`` made absolute against ``base``.

    The run is trained by another process (the executor's, maybe on another host with a
    shared folder), whose working directory is not the user's: the stored config must name
    the file itself.
    """
    if config.data.path is None:
        return config
    absolute = os.path.abspath(base / Path(config.data.path).expanduser())
    if absolute == config.data.path:
        return config
    resolved = config.model_copy(deep=True)
    resolved.data.path = absolute
    return resolved


def check_data(config: RunConfig, timeout: float = 1800.0) -> str | None:
    """Read the config's own data file as training will; a one-line summary, or None for a
    built-in dataset (nothing to check).

    Raises:
        UserError: the file's problem in one line (file, line, what is wrong, how to fix it).
    """
    if config.data.dataset != "file":
        return None
    summary = run_check(
        CHECK_MODULE,
        config,
        timeout,
        f"data.path={config.data.path}",
        "use a smaller file (data.max_file_mb)",
    )
    return summary or None
