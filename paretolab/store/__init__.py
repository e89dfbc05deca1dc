"""The run store: runs, metrics and artifacts in SQL (SQLite embedded, PostgreSQL for teams)."""

from paretolab.store.entities import (
    CANCELLED,
    FAILED,
    FINISHED,
    PRUNED,
    QUEUED,
    RUNNING,
    STATUSES,
    TERMINAL_STATUSES,
    Artifact,
    Budget,
    LatestMetric,
    MetricHistory,
    Run,
    SavedView,
)
from paretolab.store.metric_store import MetricPoint
from paretolab.store.run_filter import RunFilter
from paretolab.store.run_table import MetricColumn
from paretolab.store.runstore import RunStore

__all__ = [
    "CANCELLED",
    "FAILED",
    "FINISHED",
    "PRUNED",
    "QUEUED",
    "RUNNING",
    "STATUSES",
    "TERMINAL_STATUSES",
    "Artifact",
    "Budget",
    "SavedView",
    "LatestMetric",
    "MetricColumn",
    "MetricHistory",
    "MetricPoint",
    "Run",
    "RunFilter",
    "RunStore",
]
