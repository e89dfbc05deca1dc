"""The lent GPU session's script (``benchmarks/device_session.sh``), run on the CPU.

Its rehearsal runs every step of the device check (``gpu_check.py --rehearse``), as the real
session does on the GPU; that takes minutes, so one rehearsal per test session is shared by
the tests of the script and of the check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import common

SCRIPT = common.REPO / "benchmarks" / "device_session.sh"


def device_session(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Run the session script with ``$OUT`` and the results folder under ``tmp_path``;
    the finished process and its ``$OUT``."""
    out = tmp_path / "out"
    full = dict(
        os.environ,
        OUT=str(out),
        PARETOLAB_BENCH_RESULTS=str(tmp_path / "results"),
        PYTHON=sys.executable,
        **env,
    )
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=full)
    return done, out


@pytest.fixture(scope="session")
def rehearsed_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, Path]:
    """One rehearsal of the session (``DEVICE_SESSION_REHEARSE=1``): the finished script and
    its ``$OUT`` (the check's results file, its step logs, the session's log)."""
    return device_session(tmp_path_factory.mktemp("device-session"), DEVICE_SESSION_REHEARSE="1")
