"""Spend over time: $, device-hours and kWh of runs by day, week or month, grouped by owner,
tag, task, sweep or hardware — one SQL aggregation over ``runs`` ⋈ ``run_costs``.

A run's spend is the bill it recorded (``cost/*`` metrics), else its burn rate × the time it
has held its hardware: so far for a running run, until its last heartbeat for one that stopped
without a bill. The second kind is counted as estimated. A run's spend is dated by its start
(its creation if it never started), in UTC. Failed and cancelled runs are waste. A run with
several tags counts under each of them, so tag groups can add up to more than the total.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from paretolab.store.entities import CANCELLED, FAILED, RUNNING
from paretolab.store.schema import run_costs, runs

GROUPS = ("owner", "tag", "task", "sweep", "hardware")
PERIODS = ("day", "week", "month")
FIGURES = (
    "usd",
    "device_hours",
    "energy_kwh",
    "usd_waste",
    "usd_running",
    "usd_estimated",
    "energy_kwh_measured",
    "runs",
    "runs_estimated",
    "runs_unpriced",
)
NO_GROUP = "(none)"


def _period_label(dialect: str, period: str, when: sa.ColumnElement) -> sa.ColumnElement:
    """The UTC day, week (its Monday) or month of an epoch time, as 'YYYY-MM-DD' / 'YYYY-MM'."""
    if dialect == "postgresql":
        stamp = sa.func.timezone("UTC", sa.func.to_timestamp(when))
        fmt = "YYYY-MM" if period == "month" else "YYYY-MM-DD"
        return sa.func.to_char(sa.func.date_trunc(period, stamp), fmt)
    if period == "month":
        return sa.func.strftime("%Y-%m", when, "unixepoch")
    if period == "week":  # the Sunday on or after the day, less six days: its Monday
        return sa.func.date(when, "unixepoch", "weekday 0", "-6 days")
    return sa.func.date(when, "unixepoch")


def _group_column(dialect: str, by: str | None) -> tuple[sa.ColumnElement, sa.FromClause]:
    """The grouping expression and the FROM clause it needs."""
    joined = runs.join(run_costs, run_costs.c.run_id == runs.c.id)
    if by is None:
        return sa.literal(NO_GROUP), joined
    if by == "tag":
        func = sa.func.jsonb_array_elements_text if dialect == "postgresql" else sa.func.json_each
        tags = func(runs.c.tags).table_valued("value").alias("tag")
        return tags.c.value, joined.outerjoin(tags, sa.true())
    column = {
        "owner": runs.c.owner,
        "task": runs.c.task,
        "sweep": runs.c.study,
        "hardware": run_costs.c.hardware,
    }[by]
    return column, joined


def _per_run(now: float) -> dict[str, sa.ColumnElement]:
    """Per-run expressions: whether it recorded a bill, and its $, device-hours and kWh."""
    end = sa.case(
        (runs.c.status == RUNNING, sa.literal(now)),
        else_=sa.func.coalesce(runs.c.heartbeat_at, runs.c.ended_at, runs.c.started_at),
    )
    hours = sa.case(
        (
            sa.and_(runs.c.started_at.is_not(None), end > runs.c.started_at),
            (end - runs.c.started_at) / 3600.0,
        ),
        else_=0.0,
    )
    recorded = run_costs.c.device_hours.is_not(None)
    return {
        "recorded": recorded,
        "usd": sa.case((recorded, run_costs.c.usd), else_=run_costs.c.usd_per_hour * hours),
        "device_hours": sa.case(
            (recorded, run_costs.c.device_hours), else_=run_costs.c.device_hours_per_hour * hours
        ),
        "energy_kwh": sa.func.coalesce(run_costs.c.energy_kwh, run_costs.c.kw * hours),
        "priced": sa.or_(recorded, run_costs.c.usd_per_hour.is_not(None)),
        "started": runs.c.started_at.is_not(None),
    }


def spend_query(
    dialect: str, by: str | None, period: str, since: float | None, until: float | None, now: float
) -> sa.Select:
    """The aggregation: one row per (period, group) with the ``FIGURES``."""
    run = _per_run(now)
    when = sa.func.coalesce(runs.c.started_at, runs.c.created_at)
    label = _period_label(dialect, period, when).label("period")
    group, source = _group_column(dialect, by)
    group = sa.func.coalesce(group, NO_GROUP).label("group")
    usd = sa.func.coalesce(run["usd"], 0.0)
    wasted = runs.c.status.in_((FAILED, CANCELLED))

    def total(value: sa.ColumnElement, where: sa.ColumnElement | None = None) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(value if where is None else sa.case((where, value))), 0)

    query = sa.select(
        label,
        group,
        total(usd).label("usd"),
        total(run["device_hours"]).label("device_hours"),
        total(run["energy_kwh"]).label("energy_kwh"),
        total(usd, wasted).label("usd_waste"),
        total(usd, runs.c.status == RUNNING).label("usd_running"),
        total(usd, ~run["recorded"]).label("usd_estimated"),
        total(run_costs.c.energy_kwh_measured).label("energy_kwh_measured"),
        sa.func.count().label("runs"),
        total(sa.literal(1), sa.and_(~run["recorded"], run["started"])).label("runs_estimated"),
        total(sa.literal(1), sa.and_(~run["priced"], run["started"])).label("runs_unpriced"),
    ).select_from(source)
    if since is not None:
        query = query.where(when >= since)
    if until is not None:
        query = query.where(when < until)
    return query.group_by(label, group).order_by(label, sa.desc("usd"))


def spend_rows(
    conn: sa.Connection,
    by: str | None = None,
    period: str = "month",
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
) -> list[dict[str, Any]]:
    """Spend by ``period`` (and ``by`` a group), runs dated in [since, until): dicts with
    ``period``, ``group`` and the ``FIGURES``."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"group by one of {GROUPS}, not {by!r}")
    if period not in PERIODS:
        raise ValueError(f"period is one of {PERIODS}, not {period!r}")
    now = time.time() if now is None else now
    query = spend_query(conn.dialect.name, by, period, since, until, now)
    return [dict(row) for row in conn.execute(query).mappings()]
