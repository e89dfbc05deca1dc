"""The run store's tables (SQLAlchemy Core). Alembic migrations create and upgrade them.

Times are seconds since the epoch (float) on every backend.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()
# JSON documents: jsonb on PostgreSQL, where reading fields by path from plain json reparses
# the whole text each time (the runs table reads four config fields of every run).
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("task", sa.String(64), nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
    sa.Column("ended_at", sa.Float),
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("tags", Json, nullable=False),
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
    # Why a queued run has not started yet (the GPU queue: "needs 2 GPUs, 1 free"); NULL
    # once it starts, or when nothing holds it back.
    sa.Column("queue_reason", sa.Text),
    # Ids are never reused (a deleted run's id must not name a new run): AUTOINCREMENT on
    # SQLite (migration 0008); PostgreSQL's sequences never go back anyway.
    sqlite_autoincrement=True,
)


# Each metric's value at its highest step: one row per (run, key), for run tables and filters.
latest_metrics = sa.Table(
    "latest_metrics",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Float),  # NULL is NaN
    sa.Column("wall_time", sa.Float, nullable=False),
)

# Every point of every metric, up to 1,024 points of one (run, key) a row, as packed arrays
# (paretolab.store.metric_blocks). Each (run, key, step) is in one block only, so
# first_step identifies a block.
metric_blocks = sa.Table(
    "metric_blocks",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("first_step", sa.BigInteger, primary_key=True),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("n_points", sa.Integer, nullable=False),
    sa.Column("steps", sa.LargeBinary, nullable=False),  # int64
    sa.Column("values", sa.LargeBinary, nullable=False),  # float64, NaN and ±inf as they are
    sa.Column("wall_times", sa.LargeBinary, nullable=False),  # float64
    # Up to 128 of the block's points (MinMaxLTTB), as (n, 3) float64: step, value, wall
    # time. Charts of long series read these, not the points.
    sa.Column("summary", sa.LargeBinary, nullable=False),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# What each run has cost, kept beside the run so that spend over thousands of runs is one
# aggregation, not a scan of their metrics (paretolab.store.run_costs keeps it current).
# usd/device_hours/energy_kwh: the bill the run recorded (cost/* metrics, folds summed), NULL
# until it records one. The *_per_hour rates price its time while it runs, and a run that
# stopped without a bill (its process killed).
run_costs = sa.Table(
    "run_costs",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("hardware", sa.String(100), nullable=False),  # catalog entry, or "auto"
    sa.Column("usd", sa.Float),
    sa.Column("device_hours", sa.Float),
    sa.Column("energy_kwh", sa.Float),
    sa.Column("energy_measured", sa.Boolean, nullable=False, server_default=sa.false()),
    # How energy_kwh was obtained (paretolab.costing.energy_methods): "nvml_energy+rapl",
    # "tdp_estimate" …; NULL with no figure.
    sa.Column("energy_method", sa.String(64)),
    # The measured part of energy_kwh (measured device energy × PUE; 0 for an estimate): a
    # figure that adds the estimate for GPUs no meter covered is only partly measured.
    sa.Column("energy_kwh_measured", sa.Float),
    sa.Column("usd_per_hour", sa.Float),
    sa.Column("device_hours_per_hour", sa.Float),
    sa.Column("kw", sa.Float),
    # Who launched it over a budget, and which (NULL when no budget was exceeded).
    sa.Column("over_budget", sa.Text),
)

# Spending limits (paretolab.budgets): an amount of $ or device-hours per month, quarter or
# custom dates, for everyone, one owner or one tag. A hard budget refuses launches past it.
budgets = sa.Table(
    "budgets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("amount", sa.Float, nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),  # usd | device_hours
    sa.Column("period", sa.String(16), nullable=False),  # month | quarter | custom
    sa.Column("starts_at", sa.Float),  # custom periods only
    sa.Column("ends_at", sa.Float),
    sa.Column("scope", sa.String(16), nullable=False),  # everyone | owner | tag
    sa.Column("scope_value", sa.String(200)),
    sa.Column("hard", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_by", sa.String(200)),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# The model registry (paretolab.store.registry): named models, their numbered versions (a
# run's checkpoint with its lineage), aliases that point at one version each, and an audit
# trail of every change. Versions outlive their run's row (no foreign key to runs): the
# lineage they record is what a registry is for.
registered_models = sa.Table(
    "registered_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sqlite_autoincrement=True,
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "model_id",
        sa.Integer,
        sa.ForeignKey("registered_models.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("run_id", sa.Integer, nullable=False, index=True),
    sa.Column("checkpoint", sa.String(8), nullable=False),  # best | last
    sa.Column("checkpoint_path", sa.String(4096), nullable=False),
    sa.Column("checkpoint_sha256", sa.String(64), nullable=False),
    # config, data (dataset or file path + SHA-256), code commit, metrics at registration
    sa.Column("lineage", Json, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.UniqueConstraint("model_id", "version", name="ux_model_versions_number"),
    sqlite_autoincrement=True,
)

model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column(
        "model_id",
        sa.Integer,
        sa.ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("alias", sa.String(100), primary_key=True),
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey("model_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("updated_by", sa.String(200)),
)

registry_audit = sa.Table(
    "registry_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "model_id",
        sa.Integer,
        sa.ForeignKey("registered_models.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("who", sa.String(200)),
    sa.Column("action", sa.String(32), nullable=False),  # register | alias | archive | …
    sa.Column("target", sa.String(200), nullable=False),  # e.g. "v3", "production → v3"
    sa.Column("previous", sa.String(200)),  # what it pointed at before (None: nothing)
    sqlite_autoincrement=True,
)

# Measured serving figures of a registered version (``paretolab bench serve``), with the
# hardware they came from: latency at batch 1, throughput at the best batch, peak memory.
serving_benchmarks = sa.Table(
    "serving_benchmarks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey("model_versions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("runtime", sa.String(16), nullable=False),  # pytorch | onnx
    sa.Column("device", sa.String(16), nullable=False),  # cpu | cuda
    sa.Column("hardware", sa.String(300), nullable=False),  # e.g. "AMD EPYC 7763 × 2 threads"
    sa.Column("threads", sa.Integer),
    sa.Column("p50_ms", sa.Float, nullable=False),
    sa.Column("p95_ms", sa.Float, nullable=False),
    sa.Column("p99_ms", sa.Float, nullable=False),
    sa.Column("best_batch", sa.Integer, nullable=False),
    sa.Column("throughput_rps", sa.Float, nullable=False),
    sa.Column("peak_memory_mb", sa.Float, nullable=False),
    sa.Column("details", Json, nullable=False),  # throughput per batch size, sample counts
    sa.Column("measured_at", sa.Float, nullable=False),
    sqlite_autoincrement=True,
)

# Named views of a dashboard page (its query parameters: filters, columns, runs, metric),
# saved so that a team can open the same view by name (dashboard/services/saved_views.py).
saved_views = sa.Table(
    "saved_views",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("page", sa.String(50), nullable=False),  # the page's URL path: "", "compare"
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("query", Json, nullable=False),  # parameter → list of values
    sa.Column("owner", sa.String(200)),
    sa.Column("saved_at", sa.Float, nullable=False),
    sa.UniqueConstraint("page", "name", name="ux_saved_views_page_name"),
)

# The GPUs held right now, one row per (host, GPU index): the primary key is what makes
# double-booking impossible, whoever claims (paretolab.store.gpu_store). A row belongs to a
# run the executor started, or to a sweep worker's process (run_id NULL, pid set); it is
# deleted when its run is no longer running or its process is gone.
gpu_holdings = sa.Table(
    "gpu_holdings",
    metadata,
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("gpu_index", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True),
    sa.Column("pid", sa.Integer),
    sa.Column("holder", sa.String(200), nullable=False),  # "run 12", "sweep s worker 0"
    sa.Column("claimed_at", sa.Float, nullable=False),
)
