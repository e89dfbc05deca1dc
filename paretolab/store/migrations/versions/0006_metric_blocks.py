"""Metric points as blocks: up to 1,024 points of one (run, key) a row, as packed arrays,
each block with its own chart summary; the separate chart previews go.

The ``metrics`` table (a row per point) is copied into ``metric_blocks`` and dropped;
downgrading copies the points back (and leaves the old previews to be rebuilt on first
read). The packing is spelled out here, not imported, so this migration keeps its meaning
whatever later code does: steps int64, values and wall times float64 (NULL, which meant
NaN, becomes NaN), the summary up to 128 MinMaxLTTB points as (n, 3) float64.

Revision ID: 0006
Revises: 0005
"""

import numpy as np
import sqlalchemy as sa
from alembic import op

from paretolab.downsample import downsample_indices

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BLOCK = 1024
_SUMMARY = 128
_BLOBS = ("steps", "values", "wall_times", "summary")


def _run_id_column() -> sa.Column:
    return sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )


def upgrade() -> None:
    blocks = op.create_table(
        "metric_blocks",
        _run_id_column(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("first_step", sa.BigInteger, primary_key=True),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("n_points", sa.Integer, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("wall_times", sa.LargeBinary, nullable=False),
        sa.Column("summary", sa.LargeBinary, nullable=False),
    )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # Packed floats barely compress: storing them uncompressed (still out of line)
        # doubled ingest on PostgreSQL, which otherwise tries pglz on every write.
        for column in _BLOBS:
            op.execute(f'ALTER TABLE metric_blocks ALTER COLUMN "{column}" SET STORAGE EXTERNAL')
    points = conn.execute(
        sa.text(
            "SELECT run_id, key, step, value, wall_time FROM metrics ORDER BY run_id, key, step"
        )
    )
    pending: list[tuple] = []
    for row in points:
        if pending and ((row[0], row[1]) != pending[0][:2] or len(pending) == _BLOCK):
            conn.execute(blocks.insert(), [_block(pending)])
            pending = []
        pending.append(tuple(row))
    if pending:
        conn.execute(blocks.insert(), [_block(pending)])
    op.drop_table("metrics")
    op.drop_table("metric_previews")


def _block(rows: list[tuple]) -> dict:
    steps = np.array([r[2] for r in rows], dtype=np.int64)
    values = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64)
    walls = np.array([r[4] for r in rows], dtype=np.float64)
    picked = downsample_indices(steps.astype(np.float64), values, _SUMMARY)
    summary = np.column_stack([steps[picked], values[picked], walls[picked]]).astype(np.float64)
    return dict(
        run_id=rows[0][0],
        key=rows[0][1],
        first_step=int(steps[0]),
        last_step=int(steps[-1]),
        n_points=len(rows),
        steps=steps.tobytes(),
        values=values.tobytes(),
        wall_times=walls.tobytes(),
        summary=np.ascontiguousarray(summary).tobytes(),
    )


def downgrade() -> None:
    metrics = op.create_table(
        "metrics",
        _run_id_column(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("step", sa.BigInteger, primary_key=True, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("wall_time", sa.Float, nullable=False),
    )
    conn = op.get_bind()
    blocks = conn.execute(
        sa.text('SELECT run_id, key, steps, "values", wall_times FROM metric_blocks')
    )
    for run_id, key, steps, values, walls in blocks:
        conn.execute(
            metrics.insert(),
            [
                dict(
                    run_id=run_id,
                    key=key,
                    step=int(s),
                    value=None if np.isnan(v) else float(v),
                    wall_time=float(w),
                )
                for s, v, w in zip(
                    np.frombuffer(steps, np.int64),
                    np.frombuffer(values, np.float64),
                    np.frombuffer(walls, np.float64),
                    strict=True,
                )
            ],
        )
    op.drop_table("metric_blocks")
    op.create_table(  # as revision 0003 made it; read_preview of 0005 rebuilds each preview
        "metric_previews",
        _run_id_column(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("n_points", sa.BigInteger, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("wall_times", sa.LargeBinary, nullable=False),
    )
