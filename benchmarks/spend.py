"""Spend benchmark: "what did we spend last month, and on what" over a store of 10,000 runs.

    python benchmarks/spend.py [--runs 10000] [--repeat 5] [--db-url postgresql+psycopg://…]

Crafts the runs through the store's own write paths (``create_run``, ``log_metrics`` of the
``cost/*`` figures a run records, the hardware rates a running run reports), so the
``run_costs`` rows are the ones real runs leave. Then times ``RunStore.spend`` (the Spend
page's and ``paretolab spend``'s query) last month by tag, by owner and by hardware, and
every month by day. Goal (issue 25): ≤ 0.5 s each. Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, markdown_table, remember_commit, write_result  # noqa: E402

DAY = 86400.0
OWNERS = ("ana", "bo", "chen", "dee", None)
TAGS = ("nlp", "vision", "ablation", "prod", "baseline", "lora", "scaling", "demo")
TASKS = ("classification", "language_modeling", "seq2seq")
HARDWARE = ("h100-sxm", "a100-80gb", "l4", "cpu")
STATUSES = ("finished",) * 14 + ("failed",) * 2 + ("cancelled", "pruned", "running", "queued")


def craft_run(store: Any, rng: random.Random, now: float, span_days: float) -> dict[str, Any]:
    """One run with a random owner, tags, task, sweep, hardware, status and start in the last
    ``span_days``; its bill (some per fold, some with measured energy) or none. Returns what
    was crafted, for a test to check the spend against."""
    hardware = rng.choice(HARDWARE)
    config = {"hardware": {"profile": hardware, "devices": rng.choice((1, 1, 2, 8))}}
    status = rng.choice(STATUSES)
    tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2)))
    study = rng.choice((None, None, "sweep-a", "sweep-b"))
    run = store.create_run(
        config, "r", rng.choice(TASKS), tags, study=study, owner=rng.choice(OWNERS)
    )
    started = now - rng.uniform(0, span_days) * DAY if status != "queued" else None
    hours = rng.uniform(0.05, 30)
    ended = None if status in ("running", "queued") else started + hours * 3600
    bill = status in ("finished", "pruned") or (status != "running" and rng.random() < 0.5)
    if status == "running":
        started = now - hours * 3600
    if started is not None and bill:
        store.log_metrics(run.id, _bill_points(rng, ended))
    _set_times(store, run.id, status, started, ended)
    return {"id": run.id, "status": status, "started": started, "ended": ended, "bill": bill}


def _bill_points(rng: random.Random, wall: float) -> list[tuple[str, int, float, float]]:
    usd, hours, kwh = rng.uniform(0.01, 900), rng.uniform(0.01, 200), rng.uniform(0.01, 150)
    prefixes = ("fold0/", "fold1/") if rng.random() < 0.1 else ("",)
    points = []
    for prefix in prefixes:
        share = 1 / len(prefixes)
        for key, value in (("usd", usd), ("device_hours", hours), ("energy_kwh", kwh)):
            points.append((f"{prefix}cost/{key}", 100, value * share, wall))
    if rng.random() < 0.2:  # a GPU that reported its power
        points.append(("system/energy_kwh", 100, kwh * 0.8, wall))
    return points


def _set_times(store: Any, run_id: int, status: str, started: float | None, ended: float | None):
    from paretolab.store.schema import runs

    with store.engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(
                status=status,
                created_at=(started or time.time()) - 60,
                started_at=started,
                ended_at=ended,
                heartbeat_at=time.time() if status == "running" else ended,
            )
        )


def timed(fn: Any, repeat: int) -> float:
    """The median time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db-url", help="an empty database (default: SQLite in a temp folder)")
    args = parser.parse_args()
    remember_commit()
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as home:
        os.environ["PARETOLAB_HOME"] = home
        from paretolab.periods import previous_month
        from paretolab.store import RunStore

        store = RunStore(args.db_url or f"sqlite:///{home}/paretolab.db")
        rng, now = random.Random(25), time.time()
        start = time.perf_counter()
        for _ in range(args.runs):
            craft_run(store, rng, now, span_days=120)
        fill_s = time.perf_counter() - start
        since, until = previous_month(now)
        queries = [
            ("last month by tag", dict(by="tag", since=since, until=until)),
            ("last month by owner", dict(by="owner", since=since, until=until)),
            ("last month by hardware", dict(by="hardware", since=since, until=until)),
            ("every day, all runs", dict(period="day")),
        ]
        rows = []
        for label, kwargs in queries:
            median = timed(lambda kw=kwargs: store.spend(**kw), args.repeat)
            n = len(store.spend(**kwargs))
            rows.append(
                [label, f"{n} rows", f"{median:.3f}", "≤ 0.5 s", "yes" if median <= 0.5 else "NO"]
            )
    backend = "PostgreSQL" if args.db_url else "SQLite (embedded default)"
    table = markdown_table(["query", "result", "median (s)", "goal", "met"], rows)
    notes = f"{args.runs:,} runs on {backend}; store crafted in {fill_s:.1f} s; median of {args.repeat}."
    print(f"machine: {machine()}\n{notes}\n\n{table}")
    name = "spend-postgresql" if args.db_url else "spend"
    print(f"\nwritten to {write_result(name, table, notes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
