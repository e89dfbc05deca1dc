"""The user's data file, made absolute and checked before a run is recorded (CLI side).

A run that names its own file (``data.dataset: file``) is read once by
``python -m lightning_modules.data.data_check`` before the run row exists, so a missing
column or an undecodable byte is one line and exit code 2, never a queued run that fails
later. It is a child process because ``paretolab`` never imports ``lightning_modules``
(the same way the launcher starts ``lightning_modules.run.train``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from paretolab.config import RunConfig
from paretolab.errors import UserError

CHECK_MODULE = "lightning_modules.data.data_check"
_ERROR_PREFIX = "paretolab: error: "


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
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        done = subprocess.run(
            [sys.executable, "-m", CHECK_MODULE],
            input=config.model_dump_json(),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise UserError(
            f"checking data.path={config.data.path} took over {timeout:.0f} s; "
            "use a smaller file (data.max_file_mb)"
        ) from None
    lines = done.stderr.strip().splitlines()
    if done.returncode == 2 and lines and lines[-1].startswith(_ERROR_PREFIX):
        raise UserError(lines[-1].removeprefix(_ERROR_PREFIX))
    if done.returncode != 0:
        last = lines[-1] if lines else "no output"
        raise UserError(
            f"could not check data.path={config.data.path} (exit code {done.returncode}): {last}"
        )
    return done.stdout.strip() or None
