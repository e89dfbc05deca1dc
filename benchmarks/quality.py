"""Quality benchmark: train the BBC News demo config end to end, print test quality and wall time.

    python benchmarks/quality.py [--config configs/bbc_demo.yaml] [--set KEY=VALUE ...]

Runs `paretolab train` in a fresh temporary home (the same path a user takes), then reads
the finished run from the store. Goal (issue 2): test accuracy >= 0.95 within 5 minutes
on a 2-core CPU. Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, markdown_table, remember_commit, write_result  # noqa: E402
from paretolab.store import RunStore  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default=str(REPO / "configs" / "bbc_demo.yaml"))
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as home:
        env = dict(os.environ, PARETOLAB_HOME=home, WANDB_SILENT="true")
        env.pop("PARETOLAB_DB_URL", None)
        cmd = [sys.executable, "-m", "paretolab.cli", "train", args.config]
        for item in args.overrides:
            cmd += ["--set", item]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            print(done.stderr[-4000:], file=sys.stderr)
            return 1
        store = RunStore(f"sqlite:///{home}/paretolab.db")
        run = store.list_runs()[0]
        m = {k: v.value for k, v in store.latest_metrics(run.id).items()}
        train_s = run.ended_at - run.started_at
        steps = max(v.step for v in store.latest_metrics(run.id).values())
        best_val = max(store.metric_history(run.id, "val_acc").values)
    ok = m["test_acc"] >= 0.95 and wall <= 300
    header = [
        "config",
        "test accuracy",
        "test macro-F1",
        "best val accuracy",
        "epochs",
        "steps",
        "train time (s)",
        "wall time (s)",
        "goal: acc ≥ 0.95 in ≤ 300 s",
    ]
    row = [
        Path(args.config).name + "".join(f" {o}" for o in args.overrides),
        f"{m['test_acc']:.4f}",
        f"{m['test_f1']:.4f}",
        f"{best_val:.4f}",
        f"{m['epoch']:.0f}",
        str(steps),
        f"{train_s:.1f}",
        f"{wall:.1f}",
        "met" if ok else "NOT met",
    ]
    table = markdown_table(header, [row])
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
