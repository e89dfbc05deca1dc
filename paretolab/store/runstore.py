"""RunStore: the one API to runs, metrics and artifacts, on SQLite or PostgreSQL.

This module holds the runs: creating, reading, listing them; ``store.run_life`` their status
changes, ``store.run_edits`` the edits people make (tags, notes, archive, delete) and
``store.metric_store`` the metric and artifact calls, which RunStore inherits.

Each public call is one transaction on its own connection; it returns plain entities
(``paretolab.store.entities``), never rows. Status changes are conditional updates
(``UPDATE … WHERE status IN …``), so two processes can never both move a run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from paretolab import limits, settings
from paretolab.errors import RunNotFound, UserError
from paretolab.store import database
from paretolab.store.budget_store import BudgetCalls
from paretolab.store.entities import QUEUED, Run
from paretolab.store.gpu_store import GpuCalls
from paretolab.store.metric_store import MetricsAndArtifacts
from paretolab.store.run_costs import add_run_cost
from paretolab.store.run_edits import RunEdits
from paretolab.store.run_filter import RunFilter, filter_runs
from paretolab.store.run_life import RunLifeCalls
from paretolab.store.run_table import MetricColumn, select_run_table
from paretolab.store.schema import runs
from paretolab.store.spend import spend_rows
from paretolab.store.view_store import ViewCalls


class RunStore(RunLifeCalls, RunEdits, MetricsAndArtifacts, BudgetCalls, ViewCalls, GpuCalls):
    """Runs, their metrics and artifacts in a SQL database.

    Args:
        url: SQLAlchemy URL; default ``PARETOLAB_DB_URL`` or SQLite under ``PARETOLAB_HOME``.
    """

    def __init__(self, url: str | None = None):
        self.url = url or settings.db_url()
        settings.check_db_url(self.url)
        try:
            self.engine = database.get_engine(self.url)
            database.ensure_schema(self.engine)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, sa.exc.DBAPIError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise UserError(
                f"cannot open the run store at {settings.redact_url(self.url)}: {reason} "
                "(check PARETOLAB_DB_URL, e.g. postgresql+psycopg://user:password@host/db)"
            ) from None
        self._insert = (
            postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        )

    # ------------------------------------------------------------------ runs

    def create_run(
        self,
        config: dict[str, Any],
        name: str,
        task: str,
        tags: Sequence[str] = (),
        notes: str = "",
        launch_key: str | None = None,
        study: str | None = None,
        trial_number: int | None = None,
        owner: str | None = None,
        over_budget: str | None = None,
    ) -> Run:
        """Record a new run in status ``queued`` and return it.

        With a ``launch_key``, creating again with the same key returns the run the first
        call made (a double-clicked launch button makes one run). A sweep trial names its
        ``study`` and ``trial_number``; its sweep worker trains it, never the executor.
        ``owner`` is who launched it (see ``paretolab.auth``); ``over_budget`` the
        confirmation it was launched with past a soft budget (``paretolab.budget_guard``).

        Raises:
            UserError: the name, tags or notes are over ``paretolab.limits``.
        """
        limits.check_run_text(name=name, tags=tags, notes=notes)
        values = dict(
            name=name,
            status=QUEUED,
            task=task,
            config=config,
            created_at=time.time(),
            tags=list(tags),
            notes=notes,
            launch_key=launch_key,
            study=study,
            trial_number=trial_number,
            owner=owner,
        )
        stmt = self._insert(runs).values(**values).returning(runs.c.id)
        if launch_key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["launch_key"])
        with self.engine.begin() as conn:
            run_id = conn.execute(stmt).scalar()
            if run_id is None:  # the key was used before: that launch's run
                run_id = conn.execute(
                    sa.select(runs.c.id).where(runs.c.launch_key == launch_key)
                ).scalar_one()
            add_run_cost(conn, run_id, config, over_budget)
        return self.get_run(run_id)

    def get_run(self, run_id: int) -> Run:
        """The run with this id.

        Raises:
            RunNotFound: no such run.
        """
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            raise RunNotFound(f"no run with id {run_id} (see `paretolab runs list`)")
        return _run_entity(row)

    def list_runs(
        self,
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        archived: bool | None = None,
        search: RunFilter | None = None,
    ) -> list[Run]:
        """Runs, newest first; optionally only those in ``statuses``, archived or not, and
        matching ``search``."""
        query = filter_runs(sa.select(runs), statuses, archived, search)
        query = query.order_by(runs.c.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_run_entity(row) for row in conn.execute(query).mappings()]

    def run_table(
        self,
        params: Mapping[str, tuple[str, type]],
        metrics: Sequence[MetricColumn],
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        archived: bool | None = None,
        search: RunFilter | None = None,
    ) -> dict[str, list[Any]]:
        """Runs newest first, filtered like ``list_runs``, as a table of columns: run fields,
        config fields (``params``: name → (dotted path, type)) and metric figures, all
        read in two queries (``paretolab.store.run_table``)."""
        with self.engine.connect() as conn:
            return select_run_table(
                conn, params, metrics, statuses, limit, offset, archived, search
            )

    def count_runs(
        self,
        statuses: Sequence[str] | None = None,
        archived: bool | None = None,
        search: RunFilter | None = None,
    ) -> int:
        """How many runs ``list_runs`` would return without a limit."""
        query = filter_runs(
            sa.select(sa.func.count()).select_from(runs), statuses, archived, search
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def spend(
        self,
        by: str | None = None,
        period: str = "month",
        since: float | None = None,
        until: float | None = None,
        now: float | None = None,
    ) -> list[dict[str, Any]]:
        """$, device-hours and kWh by day/week/month, grouped by owner, tag, task, sweep or
        hardware, of runs started in [since, until) (``paretolab.store.spend``)."""
        with self.engine.connect() as conn:
            return spend_rows(conn, by, period, since, until, now)

    def all_tags(self) -> list[str]:
        """Every tag any run carries, sorted."""
        with self.engine.connect() as conn:
            return sorted(
                {t for tags in conn.execute(sa.select(runs.c.tags)).scalars() for t in tags or ()}
            )


def _run_entity(row: Any) -> Run:
    return Run(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        task=row["task"],
        config=row["config"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        heartbeat_at=row["heartbeat_at"],
        host=row["host"],
        pid=row["pid"],
        error=row["error"],
        tags=tuple(row["tags"] or ()),
        notes=row["notes"] or "",
        cancel_requested_at=row["cancel_requested_at"],
        archived=bool(row["archived"]),
        study=row["study"],
        trial_number=row["trial_number"],
        owner=row["owner"],
        queue_reason=row["queue_reason"],
    )
