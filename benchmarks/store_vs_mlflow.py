"""Run store against MLflow's tracking store: ingest, the runs table, chart histories.

    python benchmarks/store_vs_mlflow.py [--quick] [--backend sqlite|postgresql ...]
        [--runs 10000] [--ingest-points 200000] [--history-runs 20] [--history-steps 100000]

The same workload (benchmarks/store_workload.py) runs against paretolab's RunStore here and
against MLflow's SQLAlchemy tracking store (``log_batch``, ``search_runs``,
``get_metric_history``) in a separate process, on the same backend: a fresh SQLite file, or
a fresh database on a loopback PostgreSQL server started for the run (tests/postgres.py).

1. ingest: one run's metric points written in batches of 1,000 → points/s;
2. runs table: every run with its headline metrics, listed (10,000 runs): the Runs page's
   query (``run_table_spec.run_table``) against ``search_runs``; and, as a floor, the time to
   read the same rows and do nothing with them;
3. chart histories: 20 runs × 100,000 steps of one metric — paretolab's downsampled preview
   (what the Compare chart reads) against MLflow's ``get_metric_history``; paretolab's full
   history read is shown too.

MLflow is never a project dependency: it lives in benchmarks/.mlflow-venv, made on first use
(``python -m venv`` + ``pip install mlflow psycopg[binary]``). Goal (issue 9): ≥ 20× MLflow on
each. Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402
from benchmarks.store_workload import (  # noqa: E402
    HEADLINE,
    SERIES_KEY,
    series_batches,
    timed,
)

MLFLOW_VENV = REPO / "benchmarks" / ".mlflow-venv"
MLFLOW_PACKAGES = ["mlflow", "psycopg[binary]"]
GOAL = 20.0
# Issue 9's goal covers ingest, the runs table and chart histories; these rows add context.
UNGOALED = ("create runs", "runs table: its rows alone", "full histories")


def mlflow_python() -> Path:
    """The MLflow environment's interpreter, created (with MLflow) on first use."""
    python = MLFLOW_VENV / "bin" / "python"
    if not (MLFLOW_VENV / ".installed").exists():
        print(f"creating {MLFLOW_VENV} with {' '.join(MLFLOW_PACKAGES)} (once)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            + MLFLOW_PACKAGES,
            check=True,
        )
        (MLFLOW_VENV / ".installed").touch()
    return python


def run_mlflow(spec: dict) -> dict[str, float]:
    """MLflow's side of the workload, in its own environment and process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
    try:
        done = subprocess.run(
            [str(mlflow_python()), str(REPO / "benchmarks" / "store_workload.py"), fh.name],
            capture_output=True,
            text=True,
            env=dict(os.environ, MLFLOW_TRACKING_URI=spec["url"]),
        )
    finally:
        os.unlink(fh.name)
    if done.returncode != 0:
        raise RuntimeError(f"MLflow side failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_paretolab(spec: dict) -> dict[str, float]:
    """paretolab's side of the workload, through the public RunStore API."""
    from paretolab import run_table_spec
    from paretolab.config.io import parse_config
    from paretolab.store import RunStore
    from paretolab.store.run_table import RunTableQueries

    store = RunStore(spec["url"])
    config = parse_config({}).model_dump(mode="json")
    now = time.time()

    def log_series(run_id: int, steps: int) -> None:
        for batch in series_batches(steps, now):
            store.log_metrics(run_id, [(SERIES_KEY, s, v, t) for s, v, t in batch])

    out: dict[str, float] = {}
    ingest_run = store.create_run(config, "ingest", "classification").id
    out["ingest_s"] = timed(lambda: log_series(ingest_run, spec["ingest_points"]))

    def create_runs() -> None:
        for i in range(spec["runs"]):
            run_id = store.create_run(config, f"run-{i}", "classification").id
            store.log_metrics(run_id, [(k, 1000, v, now) for k, v in HEADLINE])

    out["create_s"] = timed(create_runs)

    def list_all() -> None:  # what the Runs page asks for, with every run on one page
        out["listed"] = len(run_table_spec.run_table(store)["id"])

    out["list_s"] = timed(list_all)

    def read_rows_alone() -> None:
        # What this table must read at least: the same two queries (the runs with their
        # fields, every latest metric of theirs), fetched as rows and left alone (nothing
        # decoded, pivoted or built).
        queries = RunTableQueries.of(store.engine.dialect.name, run_table_spec.RUN_TABLE_PARAMS)
        with store.engine.connect() as conn:
            ids = [row[0] for row in conn.execute(queries.runs).all()]
            conn.execute(queries.metrics(ids)).all()

    out["rows_alone_s"] = timed(read_rows_alone)
    long_ids = [
        store.create_run(config, f"long-{i}", "classification").id
        for i in range(spec["history_runs"])
    ]
    for run_id in long_ids:
        log_series(run_id, spec["history_steps"])

    def previews() -> None:
        out["preview_points"] = sum(
            len(store.metric_preview(r, SERIES_KEY).steps) for r in long_ids
        )

    def histories() -> None:
        out["history_points"] = sum(
            len(store.metric_history(r, SERIES_KEY).steps) for r in long_ids
        )

    out["preview_s"] = timed(previews)
    out["history_s"] = timed(histories)
    return out


def backend_urls(backend: str, folder: Path, pg) -> tuple[str, str]:
    """Two fresh, empty databases on one backend: paretolab's and MLflow's."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'paretolab.db'}", f"sqlite:///{folder / 'mlflow.db'}"
    return pg.new_database(), pg.new_database()


def rows_for(backend: str, spec: dict, ours: dict, theirs: dict) -> list[list[str]]:
    """Table rows: each figure of both sides and paretolab's advantage as a ratio."""

    def row(what: str, data: str, p: str, m: str, ratio: float) -> list[str]:
        if what.startswith(UNGOALED):  # shown for context: the issue sets no goal on them
            return [backend, what, data, p, m, f"{ratio:.1f}×", "—", "—"]
        met = "yes" if ratio >= GOAL else "NO"
        return [backend, what, data, p, m, f"{ratio:.1f}×", f"≥ {GOAL:.0f}×", met]

    n = spec["ingest_points"]
    hist = f"{spec['history_runs']} runs × {spec['history_steps']:,} steps"
    return [
        row(
            "ingest (points/s)",
            f"{n:,} points, batches of 1,000",
            f"{n / ours['ingest_s']:,.0f}",
            f"{n / theirs['ingest_s']:,.0f}",
            theirs["ingest_s"] / ours["ingest_s"],
        ),
        row(
            "create runs (runs/s)",
            f"{spec['runs']:,} runs + 3 metrics each",
            f"{spec['runs'] / ours['create_s']:,.0f}",
            f"{spec['runs'] / theirs['create_s']:,.0f}",
            theirs["create_s"] / ours["create_s"],
        ),
        row(
            "runs table (s)",
            f"{ours['listed']:,} runs with latest metrics",
            f"{ours['list_s']:.3f}",
            f"{theirs['list_s']:.3f}",
            theirs["list_s"] / ours["list_s"],
        ),
        row(
            "runs table: its rows alone (s)",
            "the same fields and latest metrics, read and left alone: a floor",
            f"{ours['rows_alone_s']:.3f}",
            f"{theirs['list_s']:.3f}",
            theirs["list_s"] / ours["rows_alone_s"],
        ),
        row(
            "chart histories (s)",
            f"{hist}: preview ({ours['preview_points']:,.0f} pts) vs full history",
            f"{ours['preview_s']:.3f}",
            f"{theirs['history_s']:.3f}",
            theirs["history_s"] / ours["preview_s"],
        ),
        row(
            "full histories (s)",
            f"{hist}: every point on both sides",
            f"{ours['history_s']:.3f}",
            f"{theirs['history_s']:.3f}",
            theirs["history_s"] / ours["history_s"],
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="200 runs, 5,000 points: a smoke check"
    )
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], help="default: both"
    )
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--ingest-points", type=int, default=200_000)
    parser.add_argument("--history-runs", type=int, default=20)
    parser.add_argument("--history-steps", type=int, default=100_000)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.ingest_points, args.history_runs, args.history_steps = 200, 5000, 2, 5000
    remember_commit()
    backends = args.backend or ["sqlite", "postgresql"]
    spec = dict(
        runs=args.runs,
        ingest_points=args.ingest_points,
        history_runs=args.history_runs,
        history_steps=args.history_steps,
    )
    mlflow_python()  # made before any timing starts
    pg = None
    if "postgresql" in backends:
        from tests.postgres import TestPostgres

        pg = TestPostgres().start()
    rows: list[list[str]] = []
    try:
        for backend in backends:
            with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
                ours_url, theirs_url = backend_urls(backend, Path(tmp), pg)
                ours = run_paretolab(dict(spec, url=ours_url))
                theirs = run_mlflow(dict(spec, url=theirs_url))
            rows += rows_for(backend, spec, ours, theirs)
            print(f"{backend}: paretolab {ours}\n{backend}: MLflow {theirs}", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    header = ["backend", "measure", "data", "paretolab", "MLflow", "ratio", "goal", "met"]
    table = markdown_table(header, rows)
    version = subprocess.run(
        [str(mlflow_python()), "-c", "import mlflow; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    notes = f"MLflow {version} (SqlAlchemyStore); ratio = how many times faster paretolab is."
    publish("store_vs_mlflow", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
