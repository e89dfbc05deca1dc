"""Dashboard data benchmark: a store with 10,000 runs and 20 runs × 100,000 steps of metrics.

    python benchmarks/dashboard_queries.py [--runs 10000] [--steps 100000] [--repeat 5]

Prints the time to build the Runs page table and the 20-run Compare chart data (one metric,
each series downsampled to 2,000 points), as the pages call them. Goal (issue 4): ≤ 0.5 s
each. Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, markdown_table, remember_commit, write_result  # noqa: E402


def populate(store, n_runs: int, n_long: int, steps: int) -> list[int]:
    """n_runs finished runs with a few headline metrics; n_long of them with long histories."""
    import sqlalchemy as sa

    from paretolab.config.io import parse_config
    from paretolab.store.schema import latest_metrics, runs

    config = parse_config({}).model_dump(mode="json")
    now = time.time()
    rows = [
        dict(
            name=f"run-{i}",
            status="finished",
            task="classification",
            config=config,
            created_at=now - i,
            started_at=now - i,
            ended_at=now - i + 60,
            tags=["bench"],
            notes="",
            archived=False,
        )
        for i in range(n_runs)
    ]
    with store.engine.begin() as conn:
        conn.execute(runs.insert(), rows)
        ids = list(conn.execute(sa.select(runs.c.id).order_by(runs.c.id)).scalars())
        conn.execute(
            latest_metrics.insert(),
            [
                dict(run_id=r, key=k, step=1000, value=v, wall_time=now)
                for r in ids
                for k, v in (("val_loss", 0.5), ("val_acc", 0.9), ("test_acc", 0.89))
            ],
        )
    long_ids = ids[:n_long]
    for r in long_ids:
        points = [("train_loss", s, 1.0 / (1 + s) + 0.01 * (s % 7), now + s) for s in range(steps)]
        store.log_metrics(r, points)
    return long_ids


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--long-runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    remember_commit()
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as home:
        os.environ["PARETOLAB_HOME"] = home
        os.environ.pop("PARETOLAB_DB_URL", None)
        from dashboard.services import common
        from dashboard.services import run_detail as detail_services
        from dashboard.services import runs as run_services
        from paretolab.executors import local

        local.ensure_executor = lambda store, **kw: None  # no background process in a benchmark
        store = common.get_store()
        start = time.perf_counter()
        long_ids = populate(store, args.runs, args.long_runs, args.steps)
        fill_s = time.perf_counter() - start
        table_med, table_min = timed(
            lambda: (run_services.runs_frame(), run_services.all_tags()), args.repeat
        )
        chart_med, chart_min = timed(
            lambda: detail_services.metric_series(long_ids, "train_loss"), args.repeat
        )
        n_rows = len(run_services.runs_frame()[0])
        n_points = len(detail_services.metric_series(long_ids, "train_loss"))
    header = ["query", "data", "median (s)", "best (s)", "goal", "met"]
    rows = [
        [
            "Runs page table",
            f"first page: {n_rows:,} rows of {args.runs:,} runs, count, tags",
            f"{table_med:.3f}",
            f"{table_min:.3f}",
            "≤ 0.5 s",
            "yes" if table_med <= 0.5 else "NO",
        ],
        [
            "Compare chart data",
            f"{args.long_runs} runs × {args.steps:,} steps → {n_points:,} points",
            f"{chart_med:.3f}",
            f"{chart_min:.3f}",
            "≤ 0.5 s",
            "yes" if chart_med <= 0.5 else "NO",
        ],
    ]
    table = markdown_table(header, rows)
    print(f"machine: {machine()}\nfilled the store in {fill_s:.1f} s\n\n{table}")
    path = write_result(
        "dashboard_queries", table, f"SQLite (embedded default); store filled in {fill_s:.1f} s."
    )
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
