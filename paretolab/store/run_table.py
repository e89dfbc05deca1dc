"""The runs table in two queries: run fields, config fields and metric figures as columns.

Listing runs as entities and then their latest metrics cost ~180 µs a run on a small
machine, nearly all of it in Python: every run's whole config parsed as JSON, a row object
per latest metric. Here one query reads the runs, with their config fields by JSON path,
and a second reads their latest metrics, which are pivoted into one column per figure
(``MetricColumn``). The result comes back as columns of plain values, one row per run.

The pivot runs in Python on purpose: in SQL (``max(CASE WHEN key = … THEN value END)`` per
column, grouped by run) SQLite evaluated every column's condition on every latest metric,
~5 µs a row in one measurement here, against ~2 µs to fetch the row and drop it into its
columns here, where each distinct key is matched against the columns once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from paretolab.errors import UserError
from paretolab.store.run_filter import RunFilter, filter_runs
from paretolab.store.schema import latest_metrics, runs

RUN_FIELDS = ("id", "name", "status", "owner", "task", "created_at", "started_at", "ended_at")
"""The run columns every table has (plus ``tags``, a tuple per run)."""

_AGGREGATES = ("max", "avg", "sum")
_PARAM_TYPES = {str: "as_string", int: "as_integer", float: "as_float"}
FOLD_PREFIX = "fold"  # cross-validation logs fold k's metrics as fold<k>/<key>


@dataclass(frozen=True)
class MetricColumn:
    """A column figured from each run's latest metrics.

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

    def __post_init__(self) -> None:
        if self.how not in _AGGREGATES:
            raise UserError(
                f"metric column {self.name!r}: how={self.how!r} is not one of "
                f"{', '.join(_AGGREGATES)}"
            )
        if self.of not in ("value", "step"):
            raise UserError(f"metric column {self.name!r}: of={self.of!r} is not value or step")

    def reads(self, key: str) -> bool:
        """Whether this column takes the latest metric logged under ``key`` (case-sensitive)."""
        if self.key == "*":
            return not (self.skip_prefix and key.startswith(self.skip_prefix))
        if key == self.key:
            return True
        return (
            self.folds
            and key.startswith(FOLD_PREFIX)
            and key.endswith("/" + self.key)
            and len(key) > len(FOLD_PREFIX) + len(self.key)
        )


@dataclass(frozen=True)
class RunTableQueries:
    """The two queries behind a runs table: the runs with their fields (``runs``), then the
    latest metrics of the runs it listed (``metrics``). ``RunTableQueries.of`` builds them."""

    runs: sa.Select
    every_run: bool  # no filter and no page: the table lists every run

    def metrics(self, ids: Sequence[int]) -> sa.Select:
        """(run_id, key, value, step) of the latest metrics of the runs ``runs`` listed.

        Bounded by the listed ids themselves, not by rerunning the page or filter: a run
        created or finished between the two queries would change which runs those pick.
        Runs inside the bounds but not listed come back too; the pivot leaves them out."""
        query = sa.select(
            latest_metrics.c.run_id,
            latest_metrics.c.key,
            latest_metrics.c.value,
            latest_metrics.c.step,
        )
        if not self.every_run and ids:
            query = query.where(latest_metrics.c.run_id.between(min(ids), max(ids)))
        return query

    @classmethod
    def of(
        cls,
        dialect: str,
        params: Mapping[str, tuple[str, type]],
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        archived: bool | None = None,
        search: RunFilter | None = None,
    ) -> RunTableQueries:
        """Both queries for ``dialect`` (``sqlite``, ``postgresql``): runs newest first,
        filtered like ``RunStore.list_runs``, with ``RUN_FIELDS``, tags as stored JSON text
        and ``params`` as columns."""
        config: sa.ColumnElement[Any] = runs.c.config
        source: sa.FromClause = runs
        if dialect == "postgresql" and params:
            # Each path read of a compressed jsonb value decompresses the whole document
            # again; `config || '{}'` in a lateral subquery decompresses it once per run
            # (0.29 → 0.11 s over 10,000 runs' four config fields, in one measurement
            # here). OFFSET 0 keeps the planner from inlining it.
            once = sa.type_coerce(config.op("||")(sa.text("'{}'::jsonb")), postgresql.JSONB)
            detoasted = sa.select(once.label("config")).correlate(runs).offset(0)
            detoasted = detoasted.lateral("detoasted")
            config, source = detoasted.c.config, runs.join(detoasted, sa.true())
        listed = sa.select(
            *(runs.c[f] for f in RUN_FIELDS),
            # as stored: most runs share a few tag lists, each decoded once (_tag_tuples)
            sa.type_coerce(runs.c.tags, sa.Text).label("tags"),
            *param_columns(params, config),
        ).select_from(source)
        listed = filter_runs(listed, statuses, archived, search).order_by(runs.c.id.desc())
        every_run = (statuses, archived, search, limit) == (None, None, None, None)
        return cls(listed.offset(offset or None).limit(limit), every_run and not offset)


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
    per metric column (None where a run has no such metric, or its value is NaN).

    The metrics are read after the runs, for the runs listed: a run created in between is
    left out, and one still training shows the figures it had logged by the second query."""
    queries = RunTableQueries.of(
        conn.dialect.name, params, statuses, limit, offset, archived, search
    )
    names = [*RUN_FIELDS, "tags", *params]
    rows = conn.execute(queries.runs).all()
    values = list(zip(*rows, strict=True)) or [()] * len(names)  # rows → columns
    columns = {name: list(column) for name, column in zip(names, values, strict=True)}
    columns["tags"] = _tag_tuples(columns["tags"])
    if metrics:
        ids = columns["id"]
        latest = conn.execute(queries.metrics(ids)).all() if ids else []
        columns.update(_pivot(latest, metrics, ids))
    return columns


def _pivot(
    latest: Sequence[Sequence[Any]], metrics: Sequence[MetricColumn], ids: Sequence[int]
) -> dict[str, list[Any]]:
    """One column per metric column, in the order of ``ids``, from (run_id, key, value,
    step) rows of latest metrics; rows of other runs are left out."""
    row_of = {run_id: row for row, run_id in enumerate(ids)}
    columns: list[list[Any]] = [[None] * len(ids) for _ in metrics]
    counts = {j: [0] * len(ids) for j, m in enumerate(metrics) if m.how == "avg"}
    feeds: dict[str, list[tuple[int, bool, str]]] = {}  # key → the columns it feeds
    for run_id, key, value, step in latest:
        targets = feeds.get(key)
        if targets is None:
            targets = feeds[key] = [
                (j, m.of == "step", m.how) for j, m in enumerate(metrics) if m.reads(key)
            ]
        row = row_of.get(run_id) if targets else None
        if row is None:
            continue
        for j, of_step, how in targets:
            figure = step if of_step else value
            if figure is None or figure != figure:  # no value, or NaN
                continue
            current = columns[j][row]
            if current is None:
                columns[j][row] = figure
            elif how == "max":
                columns[j][row] = max(current, figure)
            else:  # sum, or avg's running sum
                columns[j][row] = current + figure
            if how == "avg":
                counts[j][row] += 1
    for j, count in counts.items():
        columns[j] = [
            None if n == 0 else total / n for total, n in zip(columns[j], count, strict=True)
        ]
    return {m.name: column for m, column in zip(metrics, columns, strict=True)}


def _tag_tuples(stored: Sequence[Any]) -> list[tuple[str, ...]]:
    """Each run's tags as a tuple. SQLite hands back JSON text, decoded here once per
    distinct text (decoding every run's own ``[]`` took a fifth of a 10,000-run table's
    time in a profile here); PostgreSQL's driver hands back lists already."""
    decoded: dict[str, tuple[str, ...]] = {}
    out = []
    for value in stored:
        if isinstance(value, str):
            if value not in decoded:
                decoded[value] = tuple(json.loads(value) or ())
            out.append(decoded[value])
        else:
            out.append(tuple(value or ()))
    return out


def param_columns(
    params: Mapping[str, tuple[str, type]], config: sa.ColumnElement[Any] = runs.c.config
) -> list[sa.ColumnElement[Any]]:
    """Config fields as typed SQL columns: name → (dotted path in ``config``, str/int/float)."""
    out = []
    for name, (path, kind) in params.items():
        if kind not in _PARAM_TYPES:
            raise UserError(f"config field {name!r}: type {kind} is not one of str, int, float")
        element = config[tuple(path.split("."))]
        out.append(getattr(element, _PARAM_TYPES[kind])().label(name))
    return out
