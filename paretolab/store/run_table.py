"""The runs table in one query: run fields, config fields and metric figures as columns.

Listing runs as entities and then their latest metrics cost ~180 µs a run on a small
machine, nearly all of it in Python: every run's whole config parsed as JSON, a row object
per latest metric. Here the database does the work: config fields come out by JSON path,
the latest metrics are pivoted into one column per figure (``MetricColumn``), and the
result comes back as columns of plain values, one row per run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from paretolab.errors import UserError
from paretolab.store.run_filter import RunFilter, escape_like, filter_runs
from paretolab.store.schema import latest_metrics, runs

RUN_FIELDS = ("id", "name", "status", "owner", "task", "created_at", "started_at", "ended_at")
"""The run columns every table has (plus ``tags``, a tuple per run)."""

_AGGREGATES = {"max": sa.func.max, "avg": sa.func.avg, "sum": sa.func.sum}
_PARAM_TYPES = {str: "as_string", int: "as_integer", float: "as_float"}


@dataclass(frozen=True)
class MetricColumn:
    """A column figured from each run's latest metrics, in SQL.

    Attributes:
        name: the column's name.
        key: the metric key it reads; ``"*"`` reads every key.
        how: ``max``, ``avg`` or ``sum`` over the keys it reads (one key: its value).
        of: ``value``, or ``step`` (how far the run got).
        folds: also read the key as each cross-validation fold logs it (``fold1/<key>``).
        skip_prefix: with ``"*"``, leave out keys under this prefix (``trainer/``).
    """

    name: str
    key: str
    how: str = "max"
    of: str = "value"
    folds: bool = False
    skip_prefix: str = ""

    def expression(self) -> sa.ColumnElement[Any]:
        key = latest_metrics.c.key
        if self.key == "*":
            matches = key.not_like(escape_like(self.skip_prefix) + "%", escape="\\")
        elif self.folds:  # fold1/<key>, fold2/<key>, …
            matches = sa.or_(
                key == self.key, key.like("fold%/" + escape_like(self.key), escape="\\")
            )
        else:
            matches = key == self.key
        column = latest_metrics.c.step if self.of == "step" else latest_metrics.c.value
        return _AGGREGATES[self.how](sa.case((matches, column))).label(self.name)


def select_run_table(
    conn: sa.Connection,
    params: Mapping[str, tuple[str, type]],
    metrics: Sequence[MetricColumn],
    statuses: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    archived: bool | None = None,
    search: RunFilter | None = None,
) -> dict[str, list[Any]]:
    """Runs newest first, filtered like ``RunStore.list_runs``, as columns: ``RUN_FIELDS``,
    ``tags``, one per ``params`` entry (name → (dotted config path, str/int/float)) and one
    per metric column (None where a run has no such metric, or its value is NaN)."""
    query = (
        sa.select(
            *(runs.c[f] for f in RUN_FIELDS),
            runs.c.tags,
            *param_columns(params),
            *(m.expression() for m in metrics),
        )
        .select_from(runs.outerjoin(latest_metrics, latest_metrics.c.run_id == runs.c.id))
        .group_by(runs.c.id)  # the other run columns follow from it (SQL:1999, PostgreSQL)
        .order_by(runs.c.id.desc())
    )
    if limit is None and not offset:
        query = filter_runs(query, statuses, archived, search)
    else:  # pick the page first, so that only its runs' metrics are pivoted
        ids = filter_runs(sa.select(runs.c.id), statuses, archived, search)
        ids = ids.order_by(runs.c.id.desc()).offset(offset).limit(limit)
        query = query.where(runs.c.id.in_(ids))
    names = [*RUN_FIELDS, "tags", *params, *(m.name for m in metrics)]
    rows = conn.execute(query).all()
    values = list(zip(*rows, strict=True)) or [()] * len(names)  # rows → columns
    columns = {name: list(column) for name, column in zip(names, values, strict=True)}
    columns["tags"] = [tuple(t or ()) for t in columns["tags"]]
    return columns


def param_columns(params: Mapping[str, tuple[str, type]]) -> list[sa.ColumnElement[Any]]:
    """Config fields as typed SQL columns: name → (dotted path in the config, str/int/float)."""
    out = []
    for name, (path, kind) in params.items():
        if kind not in _PARAM_TYPES:
            raise UserError(f"config field {name!r}: type {kind} is not one of str, int, float")
        element = runs.c.config[tuple(path.split("."))]
        out.append(getattr(element, _PARAM_TYPES[kind])().label(name))
    return out
