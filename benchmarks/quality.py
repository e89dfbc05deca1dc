"""Quality benchmark: train each demo config end to end, print its quality and wall time.

    python benchmarks/quality.py [--demo bbc_demo --demo digits_vit] [--set KEY=VALUE ...]

Each demo runs `paretolab train` in a fresh temporary home (the same path a user takes),
then reads the finished run from the store. Goals (issues 2 and 3): BBC News test accuracy
>= 0.95 within 5 minutes; digits ViT test accuracy >= 0.98 within 3 minutes, on a 2-core
CPU. Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, markdown_table, remember_commit, write_result  # noqa: E402
from paretolab.store import RunStore  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Demo:
    config: str
    metric: str
    goal: float
    budget_s: float


DEMOS = {
    "bbc_demo": Demo("configs/bbc_demo.yaml", "test_acc", 0.95, 300),
    "digits_vit": Demo("configs/digits_vit.yaml", "test_acc", 0.98, 180),
}


def run_demo(name: str, demo: Demo, overrides: list[str]) -> list[str]:
    """Train one demo in a fresh home; return its table row."""
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as home:
        env = dict(os.environ, PARETOLAB_HOME=home, WANDB_SILENT="true")
        env.pop("PARETOLAB_DB_URL", None)
        cmd = [sys.executable, "-m", "paretolab.cli", "train", str(REPO / demo.config)]
        for item in overrides:
            cmd += ["--set", item]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed:\n{done.stderr[-4000:]}")
        store = RunStore(f"sqlite:///{home}/paretolab.db")
        run = store.list_runs()[0]
        latest = {k: v for k, v in store.latest_metrics(run.id).items()}
        best_val = max(store.metric_history(run.id, "val_acc").values)
    value = latest[demo.metric].value
    met = value >= demo.goal and wall <= demo.budget_s
    return [
        name,
        f"{value:.4f}",
        f"{latest['test_f1'].value:.4f}",
        f"{best_val:.4f}",
        f"{latest['epoch'].value:.0f}",
        str(max(v.step for v in latest.values())),
        f"{wall:.1f}",
        f"{demo.metric} ≥ {demo.goal} in ≤ {demo.budget_s:.0f} s",
        "met" if met else "NOT met",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", action="append", choices=sorted(DEMOS), help="default: all")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    rows = [run_demo(name, DEMOS[name], args.overrides) for name in args.demo or DEMOS]
    header = [
        "demo",
        "test accuracy",
        "test macro-F1",
        "best val accuracy",
        "epochs",
        "steps",
        "wall time (s)",
        "goal",
        "met",
    ]
    table = markdown_table(header, rows)
    print(f"machine: {machine()}\n\n{table}")
    path = write_result(
        "quality",
        table,
        "Wall time covers the whole `paretolab train` command: "
        "start-up, tokenizer training, fit, test of the best checkpoint.",
    )
    print(f"\nwritten to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
