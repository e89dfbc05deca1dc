"""``benchmarks/device_session.sh``, the lent GPU session's one command, rehearsed on the
CPU: its diagnosis and early stop without CUDA, and its plumbing (entry points without an
install, imports, the device check under its timeout, the files copied to $OUT)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.benchmarks.conftest import device_session


@pytest.mark.slow
def test_without_cuda_it_says_what_the_machine_has_and_stops(tmp_path: Path) -> None:
    done, out = device_session(tmp_path)
    assert done.returncode == 3, done.stdout
    assert "== machine: python " in done.stdout and "torch " in done.stdout
    assert "no torch that sees a CUDA device; nothing here can be measured" in done.stdout
    assert (out / "device_session.log").exists()


@pytest.mark.slow
def test_the_rehearsal_runs_a_sweep_command_without_an_install(
    rehearsed_session: tuple[subprocess.CompletedProcess, Path],
) -> None:
    done, out = rehearsed_session
    assert done.returncode == 0, done.stdout[-3000:]
    assert "paretolab commands: attention, bench, export-model, predict, serve, sweep" in (
        done.stdout
    )
    (result,) = out.glob("gpu_check-rehearsal-*.md")
    (row,) = [r for r in result.read_text().splitlines() if r.startswith("| 2-worker tiny sweep |")]
    assert "| pass (" in row, row
    assert {p.name for p in out.iterdir()} >= {"device_session.log", "gpu_check-steps.log"}
