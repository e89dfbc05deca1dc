"""``benchmarks/gpu_check.py``: the CPU rehearsal of every step, its table and results file,
a step's timeout and failure, and the refusal of the real check without a GPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import common, gpu_check

SCRIPT = common.REPO / "benchmarks" / "gpu_check.py"


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Results files go to a temporary folder, not the repo's."""
    folder = tmp_path / "results"
    monkeypatch.setattr(common, "RESULTS", folder)
    monkeypatch.setenv("PARETOLAB_BENCH_RESULTS", str(folder))
    return folder


def written(folder: Path, name: str) -> str:
    (path,) = folder.glob(f"{name}-*.md")
    return path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_rehearsal_passes_every_step_on_the_cpu(
    rehearsed_session: tuple[subprocess.CompletedProcess, Path],
) -> None:
    """Every step, as the lent session runs them (``device_session.sh``, rehearsed: the same
    run that ``test_device_session`` checks the script's plumbing on)."""
    done, out = rehearsed_session
    steps_log = out / "gpu_check-steps.log"
    logs = steps_log.read_text(encoding="utf-8") if steps_log.exists() else ""
    assert done.returncode == 0, done.stdout[-3000:] + logs
    (result,) = out.glob("gpu_check-rehearsal-*.md")
    text = result.read_text(encoding="utf-8")
    assert "gpu_check.py --rehearse --logs" in text  # all steps: no --only
    for label, _ in gpu_check.STEPS.values():
        assert f"| {label} |" in text
    assert text.count("| pass (") == len(gpu_check.STEPS)
    assert "'needs 1 GPU(s); 0 of 1 free'" in text  # the second run waited, and said why
    assert "ask for at most 1" in text and "workers pinned to GPUs 0" in text
    assert "2 of 2 trials finished" in text
    assert "tdp_estimate" in text or "rapl" in text  # a CPU's energy method, shown
    assert "- commit: " in text and "- machine: " in text and "- command: " in text
    assert "===== queue =====" in logs


@pytest.mark.slow
def test_a_failed_step_is_a_failed_row_and_exit_1(results: Path) -> None:
    """Energy needs the compiled run; alone, it fails, and the table says why."""
    assert gpu_check.main(["--rehearse", "--only", "energy"]) == 1
    text = written(results, "gpu_check-rehearsal")
    assert "| energy method and MFU | error: RuntimeError: needs the run of step 'compile'" in text
    assert "| FAIL (" in text and "failed: energy" in text


def test_a_step_past_its_timeout_is_killed_and_the_rest_still_run(results: Path) -> None:
    assert gpu_check.main(["--rehearse", "--only", "queue,energy", "--step-timeout", "1"]) == 1
    text = written(results, "gpu_check-rehearsal")
    assert "| two runs, one GPU: one waits | timed out after 1 s" in text
    assert "| energy method and MFU | timed out after 1 s" in text or "error:" in text


def test_steps_past_the_budget_are_listed_as_not_run(results: Path) -> None:
    assert gpu_check.main(["--rehearse", "--only", "queue", "--budget", "5"]) == 1
    assert "| two runs, one GPU: one waits | not run: --budget spent | — | FAIL" in written(
        results, "gpu_check-rehearsal"
    )


def test_the_table_keeps_each_row_on_one_line() -> None:
    outcomes = {
        "queue": {"result": "a | b\nc", "figure": "1 s", "passed": True, "seconds": 3.2},
        "sweep": {"result": "x", "figure": "—", "passed": False, "seconds": 100.0},
    }
    lines = gpu_check.table(outcomes).splitlines()
    assert lines[0] == "| check | result | figure | pass |"
    assert lines[2] == "| two runs, one GPU: one waits | a / b c | 1 s | pass (3 s) |"
    assert lines[3] == "| 2-worker tiny sweep | x | — | FAIL (100 s) |"


def test_bad_arguments_are_one_line() -> None:
    with pytest.raises(SystemExit):
        gpu_check.parse_args(["--only", "queue,nope"])
    with pytest.raises(SystemExit):
        gpu_check.parse_args(["--budget", "0"])


@pytest.mark.slow
def test_the_real_check_refuses_without_a_gpu(results: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.fail("this test checks the CPU-only path; run it where there is no CUDA device")
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=dict(os.environ)
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "gpu_check: refused: no CUDA device here; run it on a machine with an NVIDIA GPU, or "
        "rehearse it on the CPU with --rehearse"
    ]
    assert not results.exists()  # nothing measured, nothing written
