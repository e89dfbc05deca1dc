"""The store benchmark's workload, and MLflow's side of it.

Both sides of benchmarks/store_vs_mlflow.py make the same data from these functions. This
module imports only the standard library at module level, because it also runs as a script
inside the benchmark's own MLflow environment (benchmarks/.mlflow-venv), where paretolab is
not installed:

    .mlflow-venv/bin/python benchmarks/store_workload.py SPEC.json   → timings as JSON on stdout
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator

BATCH = 1000  # points per write call, on both sides
HEADLINE = (("val_loss", 0.5), ("val_acc", 0.9), ("test_acc", 0.89))  # per run in the table
SERIES_KEY = "train_loss"


def series_value(step: int) -> float:
    """The logged curve: a decaying loss with a little periodic noise."""
    return 1.0 / (1 + step) + 0.01 * (step % 7)


def series_batches(steps: int, t0: float) -> Iterator[list[tuple[int, float, float]]]:
    """``(step, value, wall_time)`` for steps 0..steps-1, in write batches of ``BATCH``."""
    for start in range(0, steps, BATCH):
        yield [(s, series_value(s), t0 + s) for s in range(start, min(steps, start + BATCH))]


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of ``fn()``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def mlflow_side(spec: dict) -> dict[str, float]:
    """Run the workload against MLflow's SQLAlchemy tracking store at ``spec['url']``."""
    from mlflow.entities import Metric, ViewType
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(spec["url"], tempfile.mkdtemp(prefix="mlflow-artifacts-"))
    exp = store.create_experiment("bench")
    now = time.time()

    def new_run(name: str) -> str:
        run = store.create_run(
            experiment_id=exp, user_id="bench", start_time=int(now * 1000), tags=[], run_name=name
        )
        return run.info.run_id

    def log_series(run_id: str, steps: int) -> None:
        for batch in series_batches(steps, now):
            metrics = [Metric(SERIES_KEY, v, int(t * 1000), s) for s, v, t in batch]
            store.log_batch(run_id, metrics=metrics, params=[], tags=[])

    out: dict[str, float] = {}
    ingest_run = new_run("ingest")
    out["ingest_s"] = timed(lambda: log_series(ingest_run, spec["ingest_points"]))

    def create_runs() -> None:
        for i in range(spec["runs"]):
            run_id = new_run(f"run-{i}")
            headline = [Metric(k, v, int(now * 1000), 1000) for k, v in HEADLINE]
            store.log_batch(run_id, metrics=headline, params=[], tags=[])

    out["create_s"] = timed(create_runs)

    def list_all() -> None:
        listed, token = 0, None
        while True:
            page = store.search_runs(
                [exp], "", ViewType.ACTIVE_ONLY, max_results=50_000, page_token=token
            )
            listed += len(page)
            token = page.token
            if not token:
                break
        out["listed"] = listed

    out["list_s"] = timed(list_all)
    history_runs = [new_run(f"long-{i}") for i in range(spec["history_runs"])]
    for run_id in history_runs:
        log_series(run_id, spec["history_steps"])

    def read_histories() -> None:
        out["history_points"] = sum(
            len(store.get_metric_history(r, SERIES_KEY)) for r in history_runs
        )

    out["history_s"] = timed(read_histories)
    return out


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        print(json.dumps(mlflow_side(json.load(fh))))
