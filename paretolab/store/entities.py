"""Plain entities the run store returns. ORM rows and SQL never leave the store."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

QUEUED, RUNNING, FINISHED, FAILED, CANCELLED, PRUNED = (
    "queued",
    "running",
    "finished",
    "failed",
    "cancelled",
    "pruned",  # a sweep trial its pruner stopped early: its partial curves are kept
)
STATUSES = (QUEUED, RUNNING, FINISHED, FAILED, CANCELLED, PRUNED)
TERMINAL_STATUSES = frozenset({FINISHED, FAILED, CANCELLED, PRUNED})


@dataclass(frozen=True)
class Run:
    """One training run: its config, where it is in its life, and who runs it."""

    id: int
    name: str
    status: str
    task: str
    config: dict[str, Any]
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    heartbeat_at: float | None = None
    host: str | None = None
    pid: int | None = None
    error: str | None = None
    tags: tuple[str, ...] = ()
    notes: str = ""
    cancel_requested_at: float | None = None
    archived: bool = False
    study: str | None = None  # the sweep (Optuna study) this run is a trial of
    trial_number: int | None = None  # its trial number in that study
    owner: str | None = None  # who launched it (None: sign-in was off, or an older run)
    queue_reason: str | None = None  # why a queued run waits (the GPU queue), None if nothing

    @property
    def status_text(self) -> str:
        """The status; a queued run the GPU queue holds back says why it waits."""
        if self.status == QUEUED and self.queue_reason:
            return f"{QUEUED}: {self.queue_reason}"
        return self.status

    @property
    def is_terminal(self) -> bool:
        """True once the run has finished, failed, been cancelled or pruned."""
        return self.status in TERMINAL_STATUSES

    def duration(self, now: float) -> float | None:
        """Seconds from start to end (or to ``now`` while running); None before it starts."""
        if self.started_at is None:
            return None
        return (self.ended_at or now) - self.started_at


@dataclass(frozen=True)
class MetricHistory:
    """All points of one metric of one run, ordered by step."""

    key: str
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    wall_times: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class LatestMetric:
    """The value of a metric at its highest step so far."""

    key: str
    step: int
    value: float
    wall_time: float


@dataclass(frozen=True)
class Artifact:
    """A file a run produced, by its path relative to the run's folder."""

    run_id: int
    path: str
    kind: str
    size_bytes: int
    created_at: float


def to_db_float(value: float) -> float | None:
    """NaN is stored as NULL (SQLite cannot hold NaN); ±inf are stored as they are."""
    value = float(value)
    return None if math.isnan(value) else value


def from_db_float(value: float | None) -> float:
    """The inverse of ``to_db_float``."""
    return math.nan if value is None else float(value)


@dataclass(frozen=True)
class Budget:
    """A spending limit (``paretolab.budgets``): ``amount`` of ``unit`` (``usd`` or
    ``device_hours``) per ``period`` (``month``, ``quarter``, or ``custom`` from ``starts_at``
    to ``ends_at``), for ``scope`` ``everyone``, one ``owner`` or one ``tag``
    (``scope_value``). A ``hard`` budget refuses launches past it; a soft one asks first."""

    name: str
    amount: float
    unit: str
    period: str
    scope: str = "everyone"
    scope_value: str | None = None
    hard: bool = False
    starts_at: float | None = None
    ends_at: float | None = None
    created_by: str | None = None
    updated_at: float = 0.0
    id: int | None = None


@dataclass(frozen=True)
class SavedView:
    """A dashboard page's query parameters saved under a name."""

    page: str
    name: str
    query: dict[str, list[str]]
    owner: str | None
    saved_at: float
