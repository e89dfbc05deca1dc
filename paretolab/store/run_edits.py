"""The edits people make to runs: tags, notes, archiving, deleting (``RunStore`` inherits them).

Tags and notes are bounded (``paretolab.limits``) before anything is written. The Run
page saves through ``edit_tags_and_notes``, a compare-and-set, so two people editing one
run never overwrite each other unseen. A delete never pulls a run from under a process that
may still write to it.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from paretolab import limits, processes
from paretolab.errors import RunNotFound, UserError
from paretolab.store.entities import RUNNING
from paretolab.store.schema import artifacts, latest_metrics, metric_blocks, run_costs, runs

EXIT_WAIT_SECONDS = 5.0  # how long a delete waits for a run's process to finish exiting


class RunEdits:
    """Changes to a run's own fields; mixed into ``RunStore`` (needs ``engine``, ``get_run``)."""

    engine: sa.Engine

    def set_tags(self, run_id: int, tags: Sequence[str]) -> None:
        """Replace the run's tags.

        Raises:
            UserError: too many tags, or one too long (``paretolab.limits``).
        """
        tags = _clean_tags(tags)
        limits.check_run_text(tags=tags)
        self._update(run_id, tags=tags)

    def set_notes(self, run_id: int, notes: str) -> None:
        """Replace the run's Markdown notes.

        Raises:
            UserError: the notes are over ``paretolab.limits.MAX_NOTES_CHARS``.
        """
        limits.check_run_text(notes=notes)
        self._update(run_id, notes=notes)

    def set_archived(self, run_id: int, archived: bool) -> None:
        """Hide the run from default listings (or bring it back)."""
        self._update(run_id, archived=archived)

    def _update(self, run_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            if not conn.execute(runs.update().where(runs.c.id == run_id).values(**values)).rowcount:
                raise RunNotFound(f"no run with id {run_id} (see `paretolab runs list`)")

    def delete_run(self, run_id: int, wait_seconds: float | None = None) -> None:
        """Delete the run with its metrics and artifact records (not its files).

        A running run is refused. So is one whose training process, on this host, is still
        alive after ``wait_seconds`` (default ``EXIT_WAIT_SECONDS``): it has recorded its end
        but may still write (metrics, artifacts), and whoever started it still waits for it.

        Raises:
            RunNotFound: no such run.
            UserError: the run is running, or its process has not exited yet.
        """
        run = self.get_run(run_id)
        if run.status == RUNNING:
            raise UserError(f"run {run_id} is running: cancel it before deleting it")
        # Another host's process cannot be checked from here; its executor survives the
        # run vanishing (a reused id cannot mislead it: ids are never reused).
        here = run.pid and run.host == socket.gethostname()
        wait = EXIT_WAIT_SECONDS if wait_seconds is None else wait_seconds
        if here and not processes.wait_for_exit(run.pid, run_id, wait):
            raise UserError(
                f"run {run_id} is {run.status} but its process {run.pid} is still exiting; "
                "delete it again in a few seconds"
            )
        with self.engine.begin() as conn:
            for table in (metric_blocks, latest_metrics, artifacts, run_costs):
                conn.execute(table.delete().where(table.c.run_id == run_id))
            # Conditional, so a run requeued and started meanwhile is not deleted under it.
            gone = conn.execute(runs.delete().where(runs.c.id == run_id, runs.c.status != RUNNING))
            if not gone.rowcount:
                self.get_run(run_id)  # RunNotFound if it went meanwhile
                raise UserError(f"run {run_id} is running: cancel it before deleting it")

    def edit_tags_and_notes(
        self, run_id: int, tags: Sequence[str], notes: str, shown: tuple[Sequence[str], str]
    ) -> None:
        """Replace the run's tags and notes, but only if they are still ``shown`` (the tags
        and notes the editor started from): two people editing one run never overwrite each
        other unseen (compare-and-set).

        Raises:
            RunNotFound: no such run.
            UserError: the tags or notes changed since they were shown; nothing is written.
        """
        tags = _clean_tags(tags)
        limits.check_run_text(tags=tags, notes=notes)
        with self.engine.begin() as conn:
            # A write that changes nothing first: it takes the row lock (PostgreSQL) or the
            # write lock (SQLite), so nobody can change the row between compare and set.
            locked = runs.update().where(runs.c.id == run_id).values(notes=runs.c.notes)
            if not conn.execute(locked).rowcount:
                raise RunNotFound(f"no run with id {run_id} (see `paretolab runs list`)")
            query = sa.select(runs.c.tags, runs.c.notes).where(runs.c.id == run_id)
            now = conn.execute(query).one()
            if _clean_tags(now.tags or ()) != _clean_tags(shown[0]) or now.notes != shown[1]:
                raise UserError(
                    f"run {run_id}'s tags or notes were changed elsewhere since this page "
                    "showed them; nothing was saved: reload the run, then edit again"
                )
            changes = {"tags": tags, "notes": notes}
            conn.execute(runs.update().where(runs.c.id == run_id).values(**changes))


def _clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags as stored: stripped, without blanks or repeats, sorted."""
    return sorted({t.strip() for t in tags if t.strip()})
