"""The device check (issue 24): one command, at most 5 minutes on a machine with one NVIDIA GPU.

    python benchmarks/gpu_check.py [--rehearse] [--step-timeout S] [--only STEP,...]

Steps, each in its own process under its own timeout (``benchmarks/gpu_check_steps.py``):

- ``queue``: two runs asking for one GPU each, queued with ``paretolab train --detach``; the
  background executor (NVML inventory) starts one, the other waits with its reason, then runs;
- ``compile``: ``paretolab train`` with ``trainer.compile`` in bf16; the run's own tokens/s and MFU;
- ``sweep``: a tiny sweep. Sweep workers are pinned one GPU each, so on one GPU
  ``--workers 2`` is refused (by design: two workers would fight over it) and the sweep
  runs with ``--workers auto``: one worker, pinned to GPU 0;
- ``finetune``: a tiny GPT-2 built offline (``tests/tiny_hf.py``) fine-tuned in bf16;
- ``attention``: the compiled run's attention, every layer and head, read on the GPU;
- ``energy``: the compiled run's energy method (``nvml_energy``) and MFU.

It prints a table (check, result, figure, pass/fail), writes it to benchmarks/results/
(``gpu_check``, or ``gpu_check-rehearsal``) and exits 1 if a step failed. A step that hangs
is killed at its timeout and shows as failed; the others still run.

``--rehearse`` runs the same steps on a CPU: training on the CPU, the queue and the sweep
over a fake one-GPU inventory (``PARETOLAB_FAKE_GPUS``), so everything but CUDA is tried
before a GPU is lent. Without ``--rehearse`` and without a CUDA device it refuses (exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402
from benchmarks.gpu_check_steps import STEPS, Context, run_step  # noqa: E402

HEADER = ["check", "result", "figure", "pass"]
FAKE_ONE_GPU = '[{"index": 0, "name": "fake GPU (rehearsal)", "memory_gb": 80}]'
DEFAULT_STEP_TIMEOUT = 120.0
MIN_STEP_SECONDS = 10.0  # a step given less is not started


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rehearse", action="store_true", help="the same steps on the CPU")
    parser.add_argument(
        "--step-timeout", type=float, default=DEFAULT_STEP_TIMEOUT, help="seconds per step"
    )
    parser.add_argument(
        "--budget", type=float, default=300.0, help="seconds for all steps; later ones are skipped"
    )
    parser.add_argument("--only", help=f"some steps, comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--logs", type=Path, help="also write every step's output to this file")
    # Internal: one step in this process (the parent starts these).
    parser.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step_timeout <= 0 or args.budget <= 0:
        parser.error("--step-timeout and --budget must be positive numbers of seconds")
    names = args.only.split(",") if args.only else list(STEPS)
    if unknown := [n for n in names if n not in STEPS]:
        parser.error(
            f"--only: unknown step(s) {', '.join(unknown)}; give some of {', '.join(STEPS)}"
        )
    args.steps = names
    return args


def no_gpu_refusal() -> str | None:
    """Why the real check cannot run here (None when a CUDA device is visible)."""
    import torch

    if torch.cuda.is_available():
        return None
    return (
        "gpu_check: refused: no CUDA device here; run it on a machine with an NVIDIA GPU, or "
        "rehearse it on the CPU with --rehearse"
    )


def gpu_name() -> str:
    """``one NVIDIA H100 80GB HBM3`` (what the real check ran on)."""
    import torch

    return f"one {torch.cuda.get_device_name(0)}"


def step_env(rehearse: bool) -> dict[str, str]:
    """The environment of every step: offline Hugging Face, W&B silent; the fake one-GPU
    inventory when rehearsing (the real check reads NVML)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_SILENT="true", PYTHONUNBUFFERED="1")
    env.pop("PARETOLAB_DB_URL", None)
    if rehearse:
        env["PARETOLAB_FAKE_GPUS"] = FAKE_ONE_GPU
    else:
        env.pop("PARETOLAB_FAKE_GPUS", None)
    return env


def run_child(name: str, workdir: Path, rehearse: bool, timeout: float) -> dict:
    """Run step ``name`` in its own process group, killed whole at ``timeout``; its outcome."""
    argv = [sys.executable, __file__, "--step", name, "--workdir", str(workdir)]
    argv += ["--rehearse"] if rehearse else []
    log = (workdir / f"{name}.log").open("w")
    proc = subprocess.Popen(
        argv, env=step_env(rehearse), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    start = time.perf_counter()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the step and every training process it started
        proc.wait()
    finally:
        log.close()
    seconds = time.perf_counter() - start
    path = workdir / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text()) | {"seconds": seconds}
    why = f"timed out after {timeout:.0f} s" if seconds >= timeout else f"exit {proc.returncode}"
    tail = (workdir / f"{name}.log").read_text(errors="replace").strip()[-300:]
    return {"result": f"{why}: {tail}", "figure": "—", "passed": False, "seconds": seconds}


def write_logs(workdir: Path, outcomes: dict[str, dict], path: Path) -> None:
    """Every step's output (the last 200 lines each) in one file, for a failed check."""
    parts = []
    for name in outcomes:
        log = workdir / f"{name}.log"
        lines = log.read_text(errors="replace").splitlines()[-200:] if log.exists() else []
        parts.append(f"===== {name} =====\n" + "\n".join(lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def table(outcomes: dict[str, dict]) -> str:
    """The check's table, one row per step, in the order they ran."""
    rows = [
        [
            STEPS[name][0],
            _cell(o["result"]),
            _cell(o["figure"]),
            f"{'pass' if o['passed'] else 'FAIL'} ({o['seconds']:.0f} s)",
        ]
        for name, o in outcomes.items()
    ]
    return markdown_table(HEADER, rows)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "/")  # one line, no column break


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.step:
        run_step(args.step, Context(args.workdir, args.rehearse))
        return 0
    if not args.rehearse and (refusal := no_gpu_refusal()):
        print(refusal, file=sys.stderr)
        return 2
    remember_commit()
    started = time.perf_counter()
    outcomes: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        for name in args.steps:
            left = args.budget - (time.perf_counter() - started)
            if left < MIN_STEP_SECONDS:  # the table is still written, with what ran
                outcomes[name] = {"result": "not run: --budget spent", "figure": "—"}
                outcomes[name] |= {"passed": False, "seconds": 0.0}
                continue
            print(f"gpu_check: {name} …", file=sys.stderr, flush=True)
            timeout = min(args.step_timeout, left)
            outcomes[name] = run_child(name, Path(tmp), args.rehearse, timeout)
        if args.logs:
            write_logs(Path(tmp), outcomes, args.logs)
    failed = [name for name, o in outcomes.items() if not o["passed"]]
    mode = "CPU rehearsal (fake one-GPU inventory)" if args.rehearse else gpu_name()
    notes = (
        f"{mode}: {len(outcomes) - len(failed)} of {len(outcomes)} checks passed in "
        f"{time.perf_counter() - started:.0f} s"
        + (f"; failed: {', '.join(failed)}" if failed else "")
        + ". On one GPU the sweep runs one pinned worker: `--workers 2` is refused by design."
    )
    publish("gpu_check-rehearsal" if args.rehearse else "gpu_check", table(outcomes), notes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
