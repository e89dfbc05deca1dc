"""``benchmarks/device_session.sh``, the lent GPU session's one command, rehearsed on the
CPU: its diagnosis and early stop without CUDA, and its plumbing (entry points without an
install, imports, a check under its timeout, the files copied to $OUT)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import common

SCRIPT = common.REPO / "benchmarks" / "device_session.sh"


def session(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, Path]:
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


@pytest.mark.slow
def test_without_cuda_it_says_what_the_machine_has_and_stops(tmp_path: Path) -> None:
    done, out = session(tmp_path)
    assert done.returncode == 3, done.stdout
    assert "== machine: python " in done.stdout and "torch " in done.stdout
    assert "no torch that sees a CUDA device; nothing here can be measured" in done.stdout
    assert (out / "device_session.log").exists()


@pytest.mark.slow
def test_the_rehearsal_runs_a_sweep_command_without_an_install(tmp_path: Path) -> None:
    done, out = session(tmp_path, DEVICE_SESSION_REHEARSE="1")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "paretolab commands: attention, bench, export-model, predict, serve, sweep" in (
        done.stdout
    )
    (result,) = out.glob("gpu_check-rehearsal-*.md")
    assert "| 2-worker tiny sweep |" in result.read_text() and "| pass (" in result.read_text()
    assert {p.name for p in out.iterdir()} >= {"device_session.log", "gpu_check-steps.log"}
