"""Run a check that needs ``lightning_modules`` (torch, transformers) in a child process.

The core never imports the layers above it, so a check that reads a data file as training
will, or builds a pretrained model's shape, runs as ``python -m MODULE`` with the run config
as JSON on stdin — the way the launcher starts ``lightning_modules.run.train``. The child
prints a one-line summary and exits 0, or prints ``paretolab: error: …`` and exits 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

from paretolab.config import RunConfig
from paretolab.errors import UserError

_ERROR_PREFIX = "paretolab: error: "


class CheckRefusal(UserError):
    """The child's own verdict on what it checked (not a timeout or a crash of the check)."""


def run_check(module: str, config: RunConfig, timeout: float, what: str, too_slow: str) -> str:
    """Run ``python -m module`` on ``config``; its one-line summary ('' if none).

    Args:
        module: the checking module.
        config: the run config, sent as JSON on stdin.
        timeout: seconds before the check is given up.
        what: what is checked, for messages (``data.path=reviews.csv``).
        too_slow: the advice when it times out.

    Raises:
        CheckRefusal: the child's own one-line error.
        UserError: why the check could not run (it timed out or crashed).
    """
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        done = subprocess.run(
            [sys.executable, "-m", module],
            input=config.model_dump_json(),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"checking {what} took over {timeout:.0f} s; {too_slow}") from None
    lines = done.stderr.strip().splitlines()
    if done.returncode == 2 and lines and lines[-1].startswith(_ERROR_PREFIX):
        raise CheckRefusal(lines[-1].removeprefix(_ERROR_PREFIX))
    if done.returncode != 0:
        last = lines[-1] if lines else "no output"
        raise UserError(f"could not check {what} (exit code {done.returncode}): {last}")
    return done.stdout.strip()


def child_main(check: Callable[[RunConfig], str]) -> int:
    """The child's side: read the run config (JSON) from stdin, print ``check``'s one-line
    summary and return 0, or print ``paretolab: error: …`` on stderr and return 2."""
    from paretolab.config.io import parse_config

    try:
        print(check(parse_config(json.loads(sys.stdin.read()))))
    except UserError as exc:
        print(f"{_ERROR_PREFIX}{exc}", file=sys.stderr)
        return 2
    return 0
