"""The store and the executor, one of each per dashboard server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import streamlit as st

from paretolab import settings
from paretolab.config import RunConfig
from paretolab.errors import UserError
from paretolab.executors import local, training_process
from paretolab.store import RunStore

REPO = Path(__file__).resolve().parents[2]


@st.cache_resource
def get_store() -> RunStore:
    """One store (and connection pool) per server process."""
    return RunStore()


def store() -> RunStore:
    """The store, with a background executor running for this home (none for a read-only
    demo: it must not start training processes)."""
    s = get_store()
    if not settings.demo_mode():
        _executor_for(str(settings.home_dir()))
    return s


@st.cache_resource(ttl=10)
def _executor_for(home: str) -> bool:
    # Checked at most every 10 s per server: start the executor if none serves this home.
    local.ensure_executor(get_store())
    return True


def run_config_job(
    module: str, config: RunConfig, what: str, timeout: float, *args: str
) -> dict[str, Any]:
    """Run ``python -m module *args`` in its own process (torch stays out of the server),
    the config as JSON on its stdin; return the JSON object on its last stdout line.

    Raises:
        UserError: it timed out, failed, or reported ``{"error": …}`` (``what`` names it).
    """
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            input=config.model_dump_json(),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=training_process.child_env(store()),
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"the {what} took longer than {timeout:.0f} s and was stopped") from None
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    if "error" in result or done.returncode != 0 or not result:
        raise UserError(result.get("error") or f"the {what} failed: {done.stderr.strip()[-500:]}")
    return result
