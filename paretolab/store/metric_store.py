"""The metric and artifact half of ``RunStore``: writing points (in blocks, keeping the
latest values current), reading them back in full or downsampled, and a run's files."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from paretolab.costing.run_figures import BurnRate
from paretolab.store.entities import (
    Artifact,
    LatestMetric,
    MetricHistory,
    from_db_float,
    to_db_float,
)
from paretolab.store.metric_blocks import as_series, read_preview, read_series, write_points
from paretolab.store.run_costs import logs_spend, refresh_recorded, set_burn_rate
from paretolab.store.schema import artifacts, latest_metrics, runs

MetricPoint = tuple[str, int, float, float]
"""(key, step, value, wall_time) — what a logger hands to ``log_metrics``."""


class MetricsAndArtifacts:
    """Metric and artifact calls of ``RunStore`` (which provides ``engine`` and ``_insert``)."""

    engine: sa.Engine
    _insert: Any

    # ------------------------------------------------------------------ metrics

    def log_metrics(self, run_id: int, points: Iterable[MetricPoint]) -> int:
        """Write metric points (one transaction); the same (key, step) again overwrites, never
        duplicates.

        NaN and ±inf are kept. Returns the number of points written.
        """
        # One point per (key, step), the last one winning: Lightning logs `epoch` with every
        # call.
        unique = {(k, int(s)): (float(v), float(t)) for k, s, v, t in points}
        if not unique:
            return 0
        by_key: dict[str, list[tuple[int, float, float]]] = {}
        for (key, step), (value, wall) in unique.items():
            by_key.setdefault(key, []).append((step, value, wall))
        written = {key: as_series(series) for key, series in by_key.items()}
        latest = [
            dict(
                run_id=run_id,
                key=key,
                step=int(steps[-1]),
                value=to_db_float(values[-1]),
                wall_time=float(walls[-1]),
            )
            for key, (steps, values, walls) in written.items()
        ]
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # One writer per run at a time: a tail block is read, then rewritten.
                # (SQLite has one writer at a time anyway; its lock comes with the first write.)
                conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id).with_for_update())
            stmt = self._insert(latest_metrics)
            stmt = stmt.on_conflict_do_update(
                index_elements=["run_id", "key"],
                set_={c: stmt.excluded[c] for c in ("step", "value", "wall_time")},
                where=latest_metrics.c.step <= stmt.excluded.step,
            )
            conn.execute(stmt, latest)
            for key, series in written.items():
                write_points(conn, run_id, key, series)
            if logs_spend(written):
                refresh_recorded(conn, run_id)
        return len(unique)

    def set_burn_rate(self, run_id: int, rate: BurnRate) -> None:
        """Record the hardware the run's process trains on and what an hour of it costs (its
        spend so far while it runs; ``paretolab.store.run_costs``)."""
        with self.engine.begin() as conn:
            set_burn_rate(conn, run_id, rate)

    def latest_metrics(self, run_id: int) -> dict[str, LatestMetric]:
        """Each metric's value at its highest step, by key."""
        return self.latest_metrics_of([run_id]).get(run_id, {})

    def latest_metrics_of(self, run_ids: Sequence[int]) -> dict[int, dict[str, LatestMetric]]:
        """Latest metrics for many runs in one query (for run tables)."""
        result: dict[int, dict[str, LatestMetric]] = {}
        query = sa.select(latest_metrics).where(latest_metrics.c.run_id.in_(list(run_ids)))
        with self.engine.connect() as conn:
            for r in conn.execute(query):
                result.setdefault(r.run_id, {})[r.key] = LatestMetric(
                    r.key, r.step, from_db_float(r.value), r.wall_time
                )
        return result

    def metric_keys(self, run_id: int) -> list[str]:
        """The names of the metrics the run has logged."""
        query = sa.select(latest_metrics.c.key).where(latest_metrics.c.run_id == run_id)
        with self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    def metric_history(self, run_id: int, key: str) -> MetricHistory:
        """Every point of one metric, ordered by step."""
        with self.engine.connect() as conn:
            steps, values, walls = read_series(conn, run_id, key)
        return MetricHistory(key, steps.tolist(), values.tolist(), walls.tolist())

    def metric_preview(self, run_id: int, key: str) -> MetricHistory:
        """One metric downsampled to at most ~2,000 points (extremes kept), for charts."""
        with self.engine.connect() as conn:
            steps, values, walls = read_preview(conn, run_id, key)
        return MetricHistory(key, steps.tolist(), values.tolist(), walls.tolist())

    # ------------------------------------------------------------------ artifacts

    def add_artifact(self, run_id: int, path: str, kind: str, size_bytes: int) -> None:
        """Record (or refresh) a file of the run, by its path relative to the run folder."""
        stmt = self._insert(artifacts).values(
            run_id=run_id, path=path, kind=kind, size_bytes=size_bytes, created_at=time.time()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "path"],
            set_={c: stmt.excluded[c] for c in ("kind", "size_bytes", "created_at")},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def list_artifacts(self, run_id: int) -> list[Artifact]:
        """The run's recorded files, by path."""
        query = sa.select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.path)
        with self.engine.connect() as conn:
            return [
                Artifact(r.run_id, r.path, r.kind, r.size_bytes, r.created_at)
                for r in conn.execute(query)
            ]
