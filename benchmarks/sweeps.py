"""Sweeps benchmark: does TPE with Hyperband pruning find what random search finds, for less?

    python benchmarks/sweeps.py [--quick] [--workers N]

Two sweeps of the digits ViT demo, each with `paretolab sweep run` in one fresh temporary
home (the path a user takes), on the same search space and trial length (15 epochs):

(a) `configs/sweeps/digits_vit_random.yaml`: random search, 30 full trials;
(b) `configs/sweeps/digits_vit_tpe_hyperband.yaml`: TPE, with Hyperband stopping poor trials
    after 1 or 5 epochs, 30 trials.

Every trial is a run; its training steps are the highest step its metrics were logged at,
its score the best val accuracy it reached (pruned trials included). The goal: (b) reaches
(a)'s best val accuracy having trained at most 40% of (a)'s total steps, counting (b)'s
trials in the order they ended. Prints both totals and both best values, and writes the
table to benchmarks/results/. About 10 minutes on an idle 2-core CPU with two workers
(one thread each).
`--quick` runs 6-trial sweeps of the tiny digits config instead (a smoke check, about two
minutes; its numbers say nothing about the goal).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    REPO,
    home_store,
    machine,
    markdown_table,
    remember_commit,
    write_result,
)

SPECS = {
    "random search": REPO / "configs/sweeps/digits_vit_random.yaml",
    "TPE + Hyperband": REPO / "configs/sweeps/digits_vit_tpe_hyperband.yaml",
}
GOAL_SHARE = 0.40
QUICK_FIXED = {
    "trainer.max_epochs": 4,
    "trainer.max_time_minutes": None,
    "data.limit_samples": 400,
    "hardware.num_threads": 1,
    "wandb.mode": "disabled",
}


def quick_spec(path: Path, folder: Path) -> Path:
    """The spec on the tiny digits config: 6 trials of 4 epochs (Hyperband up to 4)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["base"] = str(REPO / "configs/digits_tiny.yaml")
    data["fixed"] = QUICK_FIXED
    data["n_trials"] = 6
    if data.get("pruner", {}).get("name") == "hyperband":
        data["pruner"]["max_resource"] = 4
    out = folder / path.name
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def run_sweep(home: Path, spec: Path, workers: int) -> float:
    """``paretolab sweep run SPEC --workers N`` in ``home``; returns its wall time."""
    env = dict(os.environ, PARETOLAB_HOME=str(home), WANDB_SILENT="true")
    for var in ("PARETOLAB_DB_URL", "PARETOLAB_SWEEP_STORAGE"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "paretolab.cli", "sweep", "run", str(spec)]
    start = time.perf_counter()
    done = subprocess.run(
        [*cmd, "--workers", str(workers)], cwd=REPO, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{spec.name} failed:\n{done.stderr[-4000:]}")
    return time.perf_counter() - start


def trials_of(home: Path, study: str) -> list[dict]:
    """Each trial's run: status, steps trained, best val accuracy; in the order they ended."""
    from paretolab.store import RunFilter
    from sweeps.measures import best_value, steps_trained

    store = home_store(home)
    runs = store.list_runs(search=RunFilter(study=study))
    latest = store.latest_metrics_of([r.id for r in runs])
    rows = []
    for run in sorted(runs, key=lambda r: r.ended_at or 0.0):
        history = store.metric_history(run.id, "val_acc").values
        rows.append(
            {
                "status": run.status,
                "steps": steps_trained(latest.get(run.id, {})),
                "best": best_value(history, "maximize"),
            }
        )
    return rows


def steps_to_reach(trials: list[dict], target: float) -> int | None:
    """Steps trained until a trial first reached ``target`` (counting trials as they ended)."""
    spent = 0
    for trial in trials:
        spent += trial["steps"]
        if trial["best"] >= target:
            return spent
    return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="6 tiny trials each: a smoke check")
    parser.add_argument("--workers", type=int, default=2, help="workers per sweep (default 2)")
    args = parser.parse_args()
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    results = {}
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        home = Path(tmp) / "home"
        for name, spec in SPECS.items():
            if args.quick:
                spec = quick_spec(spec, Path(tmp))
            wall = run_sweep(home, spec, args.workers)
            study = yaml.safe_load(spec.read_text(encoding="utf-8"))["study"]
            results[name] = (trials_of(home, study), wall)
    (random_trials, random_wall), (tpe_trials, tpe_wall) = results.values()
    target = max(t["best"] for t in random_trials)
    random_total = sum(t["steps"] for t in random_trials)
    reached = steps_to_reach(tpe_trials, target)
    rows = []
    for name, (trials, wall) in results.items():
        pruned = sum(t["status"] == "pruned" for t in trials)
        rows.append(
            [
                name,
                str(len(trials)),
                str(pruned),
                f"{sum(t['steps'] for t in trials):,}",
                f"{max(t['best'] for t in trials):.4f}",
                f"{wall:.0f}",
            ]
        )
    header = ["sweep", "trials", "pruned", "total training steps", "best val acc", "wall (s)"]
    table = markdown_table(header, rows)
    if reached is None:
        verdict = (
            f"TPE + Hyperband did not reach random search's best val accuracy {target:.4f}: "
            f"goal not met"
        )
    else:
        share = reached / random_total
        verdict = (
            f"TPE + Hyperband reached random search's best val accuracy {target:.4f} after "
            f"{reached:,} training steps = {share:.0%} of random search's {random_total:,} "
            f"(goal: at most {GOAL_SHARE:.0%}): {'met' if share <= GOAL_SHARE else 'not met'}"
        )
    print(f"machine: {machine()}\n\n{table}\n\n{verdict}")
    notes = (
        f"{verdict}.\n\nDigits ViT demo, the same search space and trial length, "
        f"{args.workers} worker(s) per sweep. A trial's steps are the highest step its "
        "metrics were logged at; its score is the best val accuracy it reached (pruned "
        "trials too); steps to reach count TPE + Hyperband's trials in the order they ended."
    )
    if args.quick:
        notes = (
            "QUICK smoke check (tiny digits config, 6 trials each): not the benchmark.\n\n" + notes
        )
    path = write_result("sweeps-quick" if args.quick else "sweeps", table, notes)
    print(f"\nwritten to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
