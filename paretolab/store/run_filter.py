"""Which runs a listing shows: status, archived, and the runs table's search, all in SQL."""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from paretolab.errors import UserError
from paretolab.store.entities import STATUSES
from paretolab.store.schema import latest_metrics, runs


@dataclass(frozen=True)
class RunFilter:
    """What the runs table searches for, evaluated in SQL.

    Attributes:
        text: a case-insensitive substring of the run's name, owner or config.
        tag: a tag the run must carry.
        metric_min: metric key → lowest allowed latest value.
        metric_max: metric key → highest allowed latest value.
        study: only the trials of this sweep (Optuna study).
    """

    text: str = ""
    tag: str = ""
    metric_min: dict[str, float] = field(default_factory=dict)
    metric_max: dict[str, float] = field(default_factory=dict)
    study: str = ""


def filter_runs(
    query: sa.Select,
    statuses: Sequence[str] | None,
    archived: bool | None,
    search: RunFilter | None,
) -> sa.Select:
    if statuses:
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise UserError(f"unknown status {sorted(unknown)}; choose from {', '.join(STATUSES)}")
        query = query.where(runs.c.status.in_(list(statuses)))
    if archived is not None:
        query = query.where(runs.c.archived == archived)
    if search is None:
        return query
    if search.text:
        needle = f"%{escape_like(search.text.lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(runs.c.name).like(needle, escape="\\"),
                sa.func.lower(runs.c.owner).like(needle, escape="\\"),
                sa.func.lower(sa.cast(runs.c.config, sa.Text)).like(needle, escape="\\"),
            )
        )
    if search.study:
        query = query.where(runs.c.study == search.study)
    if search.tag:
        # Tags are stored as a JSON list serialised without ASCII escapes (database.py).
        encoded = json.dumps(search.tag, ensure_ascii=False)
        query = query.where(
            sa.cast(runs.c.tags, sa.Text).like(f"%{escape_like(encoded)}%", escape="\\")
        )
    for bounds, within in ((search.metric_min, operator.ge), (search.metric_max, operator.le)):
        for key, bound in bounds.items():
            holders = sa.select(latest_metrics.c.run_id).where(
                latest_metrics.c.key == key, within(latest_metrics.c.value, bound)
            )
            query = query.where(runs.c.id.in_(holders))
    return query


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern with escape character ``\\``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
