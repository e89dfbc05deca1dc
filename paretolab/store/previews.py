"""Chart previews: keep each metric's downsampled series current as points are written.

A chart never needs more than ~2,000 points, but reading 100,000 rows to draw one takes
a quarter of a second on a small machine. So every write folds the new points into a
stored preview (MinMaxLTTB keeps the extremes); charts read the preview, CSV export
reads the full history.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sqlalchemy as sa

from paretolab.downsample import MAX_POINTS, downsample_indices
from paretolab.store.entities import MetricHistory
from paretolab.store.schema import metric_previews, metrics


def update_previews(
    conn: sa.Connection,
    insert: Callable,
    run_id: int,
    by_key: dict[str, list[tuple[int, float | None, float]]],
) -> None:
    """Fold freshly written points — per key, (step, value, wall time) in step order, NaN
    as None — into the previews."""
    for key, new in by_key.items():
        old = conn.execute(
            sa.select(metric_previews).where(
                metric_previews.c.run_id == run_id, metric_previews.c.key == key
            )
        ).first()
        if old is not None and new[0][0] > old.last_step:
            fresh = np.array(new, dtype=np.float64)  # None → NaN
            steps = np.concatenate([_array(old.steps), fresh[:, 0]])
            values = np.concatenate([_array(old.values), fresh[:, 1]])
            walls = np.concatenate([_array(old.wall_times), fresh[:, 2]])
            total = old.n_points + len(new)
        else:  # first points, or an older step rewritten: rebuild from the full history
            steps, values, walls = _full_history(conn, run_id, key)
            total = len(steps)
        _store(conn, insert, run_id, key, steps, values, walls, total)


def read_preview(conn: sa.Connection, insert: Callable, run_id: int, key: str) -> MetricHistory:
    """The preview of one metric (built from the full history if it has none yet)."""
    row = conn.execute(
        sa.select(metric_previews).where(
            metric_previews.c.run_id == run_id, metric_previews.c.key == key
        )
    ).first()
    if row is None:
        steps, values, walls = _full_history(conn, run_id, key)
        if not len(steps):
            return MetricHistory(key)
        steps, values, walls = _store(conn, insert, run_id, key, steps, values, walls, len(steps))
    else:
        steps, values, walls = _array(row.steps), _array(row.values), _array(row.wall_times)
    return MetricHistory(key, steps.astype(np.int64).tolist(), values.tolist(), walls.tolist())


def _store(
    conn: sa.Connection,
    insert: Callable,
    run_id: int,
    key: str,
    steps: np.ndarray,
    values: np.ndarray,
    walls: np.ndarray,
    total: int,
) -> tuple[np.ndarray, ...]:
    steps, values, walls = (np.asarray(a, dtype=np.float64) for a in (steps, values, walls))
    keep = downsample_indices(steps, values, MAX_POINTS)
    steps, values, walls = steps[keep], values[keep], walls[keep]
    last = int(steps[-1]) if len(steps) else -1
    data = dict(
        last_step=last,
        n_points=int(total),
        steps=steps.tobytes(),
        values=values.tobytes(),
        wall_times=walls.tobytes(),
    )
    stmt = insert(metric_previews).values(run_id=run_id, key=key, **data)
    conn.execute(stmt.on_conflict_do_update(index_elements=["run_id", "key"], set_=data))
    return steps, values, walls


def _full_history(conn: sa.Connection, run_id: int, key: str) -> tuple[np.ndarray, ...]:
    rows = conn.execute(
        sa.select(metrics.c.step, metrics.c.value, metrics.c.wall_time)
        .where(metrics.c.run_id == run_id, metrics.c.key == key)
        .order_by(metrics.c.step)
    ).all()
    if not rows:
        return np.empty(0), np.empty(0), np.empty(0)
    steps, values, walls = zip(*rows, strict=True)
    return (
        np.asarray(steps, dtype=np.float64),
        np.asarray([_nan(v) for v in values]),
        np.asarray(walls, dtype=np.float64),
    )


def _array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float64)


def _nan(value: float | None) -> float:
    return np.nan if value is None else value
