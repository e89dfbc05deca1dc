"""The device check's steps (``benchmarks/gpu_check.py`` runs each in its own process).

Each step takes a :class:`Context` and returns a :class:`Outcome`: what was seen, the figure
and whether it passed. Steps go through the paths a user takes (``paretolab train``, the
background executor, ``paretolab sweep run``) in one paretolab home, so later steps read the
runs of earlier ones from its store. ``rehearse`` trains on the CPU (the queue sees the fake
one-GPU inventory that ``gpu_check`` sets); otherwise on the GPU, in bf16.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.common import REPO, home_store, train_with_cli

LM_CONFIG = "configs/shakespeare_tiny.yaml"
SHORT = ["wandb.mode=disabled", "trainer.max_epochs=50", "trainer.val_every_n_steps=10"]
FINETUNE_CONFIG = """\
task: language_modeling
data: {{dataset: shakespeare, limit_samples: 300, max_length: 64, batch_size: 16}}
model: {{pretrained: "{folder}"}}
trainer: {{max_steps: 20, val_every_n_steps: 10, precision: bf16-mixed, monitor: val_loss}}
hardware: {{accelerator: {accelerator}, devices: 1}}
generate: {{max_new_tokens: 8, num_samples: 1}}
wandb: {{mode: disabled}}
"""
SWEEP_SPEC = """\
study: gpu-check
base: {base}
fixed: {{trainer.max_steps: 20, trainer.val_every_n_steps: 10, trainer.max_epochs: 50,
        wandb.mode: disabled, hardware.accelerator: auto, hardware.devices: 1}}
n_trials: 2
objectives: [{{metric: val_loss, direction: minimize}}]
sampler: {{name: random, seed: 0}}
parameters: {{optim.lr: {{type: float, low: 1.0e-3, high: 1.0e-2, log: true}}}}
"""


@dataclass(frozen=True)
class Context:
    """Where the steps work and how."""

    workdir: Path  # the steps' shared folder; its ``home`` is the paretolab home
    rehearse: bool  # CPU training, fake one-GPU inventory

    @property
    def home(self) -> Path:
        return self.workdir / "home"

    @property
    def accelerator(self) -> str:
        return "cpu" if self.rehearse else "gpu"

    @property
    def device(self) -> str:
        return "cpu" if self.rehearse else "cuda"


@dataclass(frozen=True)
class Outcome:
    """One row of the table."""

    result: str
    figure: str
    passed: bool
    run_id: int | None = None


def queue(ctx: Context) -> Outcome:
    """Two runs asking for one GPU each, queued with ``paretolab train --detach``: the
    background executor starts one, the other waits with its reason, then runs."""
    env = dict(os.environ, PARETOLAB_HOME=str(ctx.home), PARETOLAB_EXECUTOR_IDLE_EXIT="5")
    sets = [*SHORT, "trainer.max_steps=20", "hardware.accelerator=auto", "hardware.devices=1"]
    argv = [sys.executable, "-m", "paretolab.cli", "train", str(REPO / LM_CONFIG), "--detach"]
    for item in sets:
        argv += ["--set", item]
    for _ in range(2):
        subprocess.run(argv, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    store = home_store(ctx.home)
    first, second = sorted(r.id for r in store.list_runs())
    reason = None
    try:
        while (run := store.get_run(second)).status in ("queued", "running"):
            reason = reason or run.queue_reason
            time.sleep(0.2)
    finally:
        _stop_executor(ctx.home)
    a, b = store.get_run(first), store.get_run(second)
    waited = a.ended_at is not None and b.started_at is not None and b.started_at >= a.ended_at
    passed = a.status == b.status == "finished" and bool(reason) and waited
    figure = f"run {second} waited {b.started_at - a.started_at:.1f} s" if waited else "—"
    result = f"runs {first}, {second}: {a.status}, {b.status}; {second} waited: {reason!r}"
    return Outcome(result, figure, passed)


def _stop_executor(home: Path) -> None:
    """The background executor exits when idle; stop it now if it is still there."""
    pid_file = home / "executor.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError, ProcessLookupError):  # gone already
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def compile_run(ctx: Context) -> Outcome:
    """``paretolab train`` with ``trainer.compile`` on: the run's own tokens/s and MFU."""
    sets = [*SHORT, "trainer.max_steps=60", "trainer.compile=true"]
    sets += [f"hardware.accelerator={ctx.accelerator}"]
    if not ctx.rehearse:
        sets += ["trainer.precision=bf16-mixed"]
    run_id, wall = train_with_cli(ctx.home, LM_CONFIG, sets)
    cost = _cost(ctx.home, run_id)
    compiled = cost.get("compile_seconds", 0.0) > 0
    passed = compiled and cost.get("tokens_per_sec", 0) > 0 and cost.get("mfu", 0) > 0
    figure = f"{cost.get('tokens_per_sec', 0):,.0f} tokens/s, MFU {cost.get('mfu', 0):.2%}"
    result = (
        f"run {run_id} finished in {wall:.0f} s; compile {cost.get('compile_seconds', 0):.1f} s"
    )
    return Outcome(result, figure, passed, run_id)


def sweep(ctx: Context) -> Outcome:
    """``--workers 2`` on one GPU is refused (each worker is pinned to its own GPU); then
    ``--workers auto`` runs the sweep with the one worker one GPU allows, pinned to it."""
    spec = ctx.workdir / "sweep.yaml"
    spec.write_text(SWEEP_SPEC.format(base=REPO / LM_CONFIG), encoding="utf-8")
    env = dict(os.environ, PARETOLAB_HOME=str(ctx.home))
    argv = [sys.executable, "-m", "paretolab.cli", "sweep", "run", str(spec), "--workers"]
    two = subprocess.run([*argv, "2"], cwd=REPO, env=env, capture_output=True, text=True)
    auto = subprocess.run([*argv, "auto"], cwd=REPO, env=env, capture_output=True, text=True)
    said = (auto.stdout + auto.stderr).splitlines()
    pinned = next((line.strip() for line in said if "pinned to GPUs" in line), "")
    trials = [r for r in home_store(ctx.home).list_runs() if r.study == "gpu-check"]
    done = sum(r.status == "finished" for r in trials)
    refused = two.returncode == 2 and "ask for at most 1" in two.stderr
    passed = refused and auto.returncode == 0 and bool(pinned) and done == 2
    refusal = (
        two.stderr.strip().splitlines()[-1] if two.stderr.strip() else f"exit {two.returncode}"
    )
    result = f"--workers 2: {refusal} | --workers auto: {pinned or 'not pinned'}"
    if auto.returncode != 0:
        result += f" | auto failed: {auto.stderr.strip()[-300:]}"
    return Outcome(result, f"{done} of 2 trials finished", passed)


def finetune(ctx: Context) -> Outcome:
    """A tiny GPT-2 (built offline, saved with ``save_pretrained``) fine-tuned in bf16."""
    from tests.tiny_hf import save_tiny_model

    folder = save_tiny_model("gpt2", ctx.workdir / "tiny-gpt2")
    config = ctx.workdir / "finetune.yaml"
    text = FINETUNE_CONFIG.format(folder=folder, accelerator=ctx.accelerator)
    config.write_text(text, encoding="utf-8")
    run_id, wall = train_with_cli(ctx.home, str(config), [])
    latest = home_store(ctx.home).latest_metrics(run_id)
    loss = latest["test_loss"].value if "test_loss" in latest else math.nan
    tokens = latest["cost/tokens_per_sec"].value if "cost/tokens_per_sec" in latest else 0.0
    passed = math.isfinite(loss) and tokens > 0
    result = f"run {run_id} (bf16-mixed, {ctx.accelerator}) finished in {wall:.0f} s"
    return Outcome(result, f"test_loss {loss:.3f}, {tokens:,.0f} tokens/s", passed, run_id)


def attention(ctx: Context) -> Outcome:
    """The compiled run's attention, every layer and head, read on the device."""
    os.environ["PARETOLAB_HOME"] = str(ctx.home)
    from lightning_modules.inspection import extract, load_run, text_example

    run = load_run(_earlier_run(ctx, "compile"), "best", store=home_store(ctx.home))
    run.task.to(ctx.device)
    maps = extract(run, text_example(run, "To be, or not to be"))
    layers, heads, n_q, n_k = maps.attention.shape
    rows_sum = maps.attention.sum(axis=-1)
    passed = bool(abs(rows_sum - 1).max() < 1e-3) and maps.fast_path_max_diff < 1e-2
    figure = (
        f"{layers}×{heads} maps of {n_q} tokens; fast path within {maps.fast_path_max_diff:.1e}"
    )
    return Outcome(f"{run.describe()} on {ctx.device}", figure, passed)


def energy(ctx: Context) -> Outcome:
    """The compiled run's energy figure and its method: NVML's energy counter on a GPU."""
    from paretolab.costing.run_figures import cost_figures

    run_id = _earlier_run(ctx, "compile")
    figures = cost_figures(home_store(ctx.home).latest_metrics(run_id))
    method = figures.get("energy_method") or "none"
    kwh, mfu = figures.get("energy_kwh") or 0.0, figures.get("mfu") or 0.0
    wanted = "tdp_estimate" if ctx.rehearse else "nvml_energy"
    parts = method.split("+")
    passed = (wanted in parts or (ctx.rehearse and "rapl" in parts)) and kwh > 0 and mfu > 0
    result = f"run {run_id}: {method} ({figures.get('energy_source')})"
    return Outcome(result, f"{kwh * 3.6e6:,.1f} J, MFU {mfu:.2%}", passed)


def _earlier_run(ctx: Context, step: str) -> int:
    """The run an earlier step trained (``RuntimeError`` if that step made none)."""
    path = ctx.workdir / f"{step}.json"
    run_id = json.loads(path.read_text())["run_id"] if path.exists() else None
    if run_id is None:
        raise RuntimeError(f"needs the run of step {step!r}, which made none")
    return int(run_id)


def _cost(home: Path, run_id: int) -> dict[str, float]:
    latest = home_store(home).latest_metrics(run_id)
    return {k.removeprefix("cost/"): m.value for k, m in latest.items() if k.startswith("cost/")}


STEPS = {
    "queue": ("two runs, one GPU: one waits", queue),
    "compile": ("paretolab train, trainer.compile", compile_run),
    "sweep": ("2-worker tiny sweep", sweep),
    "finetune": ("pretrained fine-tune in bf16", finetune),
    "attention": ("attention opened on the device", attention),
    "energy": ("energy method and MFU", energy),
}


def run_step(name: str, ctx: Context) -> None:
    """Run one step and write ``<workdir>/<name>.json`` (its outcome, or the error)."""
    try:
        outcome = STEPS[name][1](ctx)
    except Exception as exc:  # the table shows any failure; the next step still runs
        detail = getattr(exc, "stderr", None) or str(exc)
        outcome = Outcome(f"error: {type(exc).__name__}: {str(detail).strip()[-400:]}", "—", False)
    tmp = ctx.workdir / f"{name}.json.tmp"
    tmp.write_text(json.dumps(asdict(outcome)), encoding="utf-8")
    tmp.rename(ctx.workdir / f"{name}.json")
