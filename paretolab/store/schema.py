"""The run store's tables (SQLAlchemy Core). Alembic migrations create and upgrade them.

Times are seconds since the epoch (float) on every backend; a metric value of NULL is NaN.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("task", sa.String(64), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
    sa.Column("ended_at", sa.Float),
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("launch_key", sa.String(64)),
    sa.Index("ux_runs_launch_key", "launch_key", unique=True),
    sa.Column("cancel_requested_at", sa.Float),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    # A sweep trial: its Optuna study and trial number (both NULL for a plain run).
    sa.Column("study", sa.String(200)),
    sa.Column("trial_number", sa.Integer),
    sa.Index("ix_runs_study", "study"),
    # Who launched the run: a dashboard user, `--owner` or the OS user of the CLI (NULL when
    # sign-in was off). Members may change only their own runs (paretolab.auth).
    sa.Column("owner", sa.String(200)),
    sa.Index("ix_runs_owner", "owner"),
)


def _metric_table(name: str, every_step: bool) -> sa.Table:
    """``metrics`` holds every (run, key, step); ``latest_metrics`` one row per (run, key)."""
    return sa.Table(
        name,
        metadata,
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("step", sa.BigInteger, primary_key=every_step, nullable=False),
        sa.Column("value", sa.Float),  # NULL is NaN
        sa.Column("wall_time", sa.Float, nullable=False),
    )


metrics = _metric_table("metrics", every_step=True)
latest_metrics = _metric_table("latest_metrics", every_step=False)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Each metric's series downsampled (MinMaxLTTB) to at most ~2,000 points, as float64 arrays,
# updated with every write: charts read this instead of the full history.
metric_previews = sa.Table(
    "metric_previews",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("n_points", sa.BigInteger, nullable=False),
    sa.Column("steps", sa.LargeBinary, nullable=False),
    sa.Column("values", sa.LargeBinary, nullable=False),
    sa.Column("wall_times", sa.LargeBinary, nullable=False),
)
