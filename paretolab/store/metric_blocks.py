"""Metric points stored as blocks: one row holds up to ``BLOCK_POINTS`` points of one metric.

A row per point cost a primary-key index entry, a foreign-key check and a tuple header
per point; on PostgreSQL that held ingest to ~23k points/s (issue 9's benchmark). A block
row holds its points as packed arrays (steps int64; values and wall times float64, NaN and
±inf as they are), so a 1,000-point write is one row, and a 100,000-step history is about
a hundred rows to read.

Each block also carries its summary: up to ``SUMMARY_POINTS`` of its points picked by
MinMaxLTTB (extremes kept). A chart of a long series reads the summaries, never the
points, and nothing else needs updating on a write (an earlier chart-preview table was
read, re-downsampled and rewritten on every write: a third of PostgreSQL's ingest time).

``write_points`` keeps two rules, inside the caller's transaction:

- each (run, key, step) is stored once: the steps a write brings are first taken out of
  the older blocks that hold them, so a retried flush or a resumed run never duplicates a
  point, and the newest value wins;
- points that continue a series go into its tail block while they fit, so a logger that
  flushes a few points at a time still fills blocks instead of leaving a row per flush.

Concurrent writers of one run must be serialised by the caller (``RunStore.log_metrics``
locks the run's row on PostgreSQL; SQLite has one writer at a time).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa

from paretolab.downsample import MAX_POINTS, downsample_indices
from paretolab.store.schema import metric_blocks

BLOCK_POINTS = 1024  # most points one block holds
SUMMARY_POINTS = BLOCK_POINTS // 8  # most points of a block its summary keeps
# Up to this many points a chart preview downsamples the points themselves; beyond it the
# summaries alone hold more than MAX_POINTS points, and are what it reads.
_PREVIEW_FROM_POINTS = MAX_POINTS * BLOCK_POINTS // SUMMARY_POINTS

Series = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(steps int64, values float64, wall times float64), in step order."""

_c = metric_blocks.c


def as_series(points: Sequence[tuple[int, float, float]]) -> Series:
    """(step, value, wall time) tuples, each step once, as arrays in step order."""
    table = np.array(points, dtype=np.float64)
    table = table[np.argsort(table[:, 0], kind="stable")]
    return table[:, 0].astype(np.int64), table[:, 1], table[:, 2]


def write_points(conn: sa.Connection, run_id: int, key: str, series: Series) -> None:
    """Store one key's points (each step once, in step order), overwriting the steps it
    already holds."""
    steps, values, walls = series
    of_key = (_c.run_id == run_id, _c.key == key)
    tail = conn.execute(
        sa.select(_c.first_step, _c.last_step, _c.n_points)
        .where(*of_key)
        .order_by(_c.last_step.desc())
        .limit(1)
    ).first()
    if tail is not None and steps[0] > tail.last_step:  # the usual case: the series goes on
        if tail.n_points + len(steps) <= BLOCK_POINTS:
            old = _decode(conn.execute(_blocks(run_id, key, _c.first_step == tail.first_step)))
            _delete(conn, run_id, key, tail.first_step)
            steps, values, walls = (np.concatenate(p) for p in zip(old, series, strict=True))
    elif tail is not None:  # steps written before: take them out of the blocks holding them
        _take_out(conn, run_id, key, steps)
    rows = [
        _row(run_id, key, *(a[i : i + BLOCK_POINTS] for a in (steps, values, walls)))
        for i in range(0, len(steps), BLOCK_POINTS)
    ]
    conn.execute(sa.insert(metric_blocks), rows)


def read_series(conn: sa.Connection, run_id: int, key: str) -> Series:
    """Every stored point of one metric, in step order."""
    return _decode(conn.execute(_blocks(run_id, key)))


def read_preview(conn: sa.Connection, run_id: int, key: str) -> Series:
    """One metric downsampled for a chart: at most ``MAX_POINTS`` finite points, extremes
    kept, in step order."""
    total = conn.execute(
        sa.select(sa.func.sum(_c.n_points)).where(_c.run_id == run_id, _c.key == key)
    ).scalar()
    if not total or total <= _PREVIEW_FROM_POINTS:
        steps, values, walls = read_series(conn, run_id, key)
    else:
        query = _blocks(run_id, key).with_only_columns(_c.summary)
        summaries = [_floats(blob).reshape(-1, 3) for blob in conn.execute(query).scalars()]
        table = np.concatenate(summaries)
        table = table[np.argsort(table[:, 0], kind="stable")]
        steps, values, walls = table[:, 0].astype(np.int64), table[:, 1], table[:, 2]
    keep = downsample_indices(steps.astype(np.float64), values, MAX_POINTS)
    return steps[keep], values[keep], walls[keep]


def stored_points(conn: sa.Connection, run_id: int) -> list[tuple[str, int, float]]:
    """Every point the run's blocks hold, as (key, step, value), without merging anything:
    what the fault benchmarks count to prove that no point is lost or stored twice."""
    query = sa.select(_c.key, _c.steps, _c["values"]).where(_c.run_id == run_id)
    return [
        (key, int(step), float(value))
        for key, steps, values in conn.execute(query)
        for step, value in zip(_ints(steps), _floats(values), strict=True)
    ]


def _take_out(conn: sa.Connection, run_id: int, key: str, steps: np.ndarray) -> None:
    """Remove ``steps`` (sorted) from the key's blocks, rewriting each block they touch."""
    touched = conn.execute(
        _blocks(
            run_id, key, _c.last_step >= int(steps[0]), _c.first_step <= int(steps[-1])
        ).add_columns(_c.first_step)
    ).all()
    for old_steps, old_values, old_walls, first_step in touched:
        old_steps = _ints(old_steps)
        keep = ~np.isin(old_steps, steps)
        if keep.all():
            continue
        _delete(conn, run_id, key, first_step)
        if keep.any():
            kept = (old_steps[keep], _floats(old_values)[keep], _floats(old_walls)[keep])
            conn.execute(sa.insert(metric_blocks), [_row(run_id, key, *kept)])


def _blocks(run_id: int, key: str, *where: sa.ColumnElement[bool]) -> sa.Select:
    return (
        sa.select(_c.steps, _c["values"], _c.wall_times)
        .where(_c.run_id == run_id, _c.key == key, *where)
        .order_by(_c.first_step)
    )


def _decode(rows: sa.Result) -> Series:
    parts = [(_ints(s), _floats(v), _floats(w)) for s, v, w, *_ in rows]
    if not parts:
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    steps, values, walls = (np.concatenate(p) for p in zip(*parts, strict=True))
    if len(steps) > 1 and not (np.diff(steps) > 0).all():  # blocks whose steps interleave
        order = np.argsort(steps, kind="stable")
        steps, values, walls = steps[order], values[order], walls[order]
    return steps, values, walls


def _row(run_id: int, key: str, steps: np.ndarray, values: np.ndarray, walls: np.ndarray) -> dict:
    picked = downsample_indices(steps.astype(np.float64), values, SUMMARY_POINTS)
    summary = np.column_stack([steps[picked], values[picked], walls[picked]])
    return dict(
        run_id=run_id,
        key=key,
        first_step=int(steps[0]),
        last_step=int(steps[-1]),
        n_points=len(steps),
        steps=np.ascontiguousarray(steps, dtype=np.int64).tobytes(),
        values=np.ascontiguousarray(values, dtype=np.float64).tobytes(),
        wall_times=np.ascontiguousarray(walls, dtype=np.float64).tobytes(),
        summary=np.ascontiguousarray(summary, dtype=np.float64).tobytes(),
    )


def _delete(conn: sa.Connection, run_id: int, key: str, first_step: int) -> None:
    conn.execute(
        metric_blocks.delete().where(
            _c.run_id == run_id, _c.key == key, _c.first_step == first_step
        )
    )


def _ints(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.int64)


def _floats(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float64)
