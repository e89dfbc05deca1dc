"""Writing metric points: the store's hot path (every logging step, every bulk import).

SQLAlchemy's ``executemany`` builds and checks a parameter dict per row, which cost more
than the database's own work (a profile of 1,000-point batches on SQLite). The points go
to the driver directly instead, as one upsert per batch:

- SQLite: one prepared ``INSERT … ON CONFLICT DO UPDATE``, ``executemany`` over tuples;
- PostgreSQL: one statement for the whole batch, its points as one JSON array parameter
  (``json.dumps`` is C; psycopg's per-element array adaptation took half the time).

The same (run, key, step) written again overwrites its value: a retried batch never
duplicates a point.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import sqlalchemy as sa

from paretolab.store.schema import metrics

_COLUMNS = "run_id, key, step, value, wall_time"
_ON_CONFLICT = (
    "ON CONFLICT (run_id, key, step) DO UPDATE "
    "SET value = excluded.value, wall_time = excluded.wall_time"
)
_SQLITE = f"INSERT INTO {metrics.name} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?) {_ON_CONFLICT}"
_POSTGRESQL = (
    f"INSERT INTO {metrics.name} ({_COLUMNS}) "
    "SELECT %s, p->>0, (p->>1)::bigint, (p->>2)::float8, (p->>3)::float8 "
    f"FROM json_array_elements(%s::json) AS p {_ON_CONFLICT}"
)


def upsert_points(
    conn: sa.Connection,
    run_id: int,
    keys: Sequence[str],
    steps: Sequence[int],
    values: Sequence[float | None],
    wall_times: Sequence[float],
) -> None:
    """Write one run's points (parallel columns; NaN already as None, each (key, step) at
    most once) inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        if not all(map(_json_safe, values)):  # JSON has no ±inf: PostgreSQL reads these words
            values = [
                v if _json_safe(v) else ("Infinity" if v > 0 else "-Infinity") for v in values
            ]
        points = json.dumps(list(zip(keys, steps, values, wall_times, strict=True)))
        conn.exec_driver_sql(_POSTGRESQL, (run_id, points))
    else:
        rows = [(run_id, *point) for point in zip(keys, steps, values, wall_times, strict=True)]
        conn.exec_driver_sql(_SQLITE, rows)


def _json_safe(value: float | None) -> bool:
    return value is None or math.isfinite(value)
