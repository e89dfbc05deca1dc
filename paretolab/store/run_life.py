"""A run's life in the store: its status changes (``RunStore`` inherits these calls).

Every change is a conditional update (``UPDATE … WHERE status IN …``), so two processes can
never both move a run: a launcher claims a queued run, its training process takes it
(``mark_running``), beats a heartbeat and records how it ended; a cancel is asked for, a
failed or cancelled run is requeued to resume.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import sqlalchemy as sa

from paretolab.store.entities import CANCELLED, FAILED, FINISHED, PRUNED, QUEUED, RUNNING
from paretolab.store.schema import runs


class RunLifeCalls:
    """Status changes of a run; mixed into ``RunStore`` (needs ``engine``, ``get_run``)."""

    engine: sa.Engine

    def claim(self, run_id: int, host: str | None = None) -> bool:
        """queued → running on ``host``, before its process starts. Only one caller wins, so
        two launchers (a foreground CLI and an executor, or two executors) never start the
        same run twice. The launcher records the pid with ``set_pid`` once it has one."""
        now = time.time()
        return self._transition(
            run_id,
            RUNNING,
            (QUEUED,),
            host=host or socket.gethostname(),
            pid=None,
            started_at=now,
            heartbeat_at=now,
            queue_reason=None,
        )

    def set_pid(self, run_id: int, pid: int) -> None:
        """Record the process of a claimed run."""
        with self.engine.begin() as conn:
            conn.execute(
                runs.update().where(runs.c.id == run_id, runs.c.status == RUNNING).values(pid=pid)
            )

    def mark_running(self, run_id: int, pid: int, host: str | None = None) -> bool:
        """The training process takes its run: a queued one, or one its launcher claimed on
        this host. Returns False if the run ended or runs elsewhere."""
        now = time.time()
        host = host or socket.gethostname()
        return self._transition(
            run_id,
            RUNNING,
            (QUEUED, RUNNING),
            extra=sa.or_(runs.c.status == QUEUED, runs.c.host == host),
            host=host,
            pid=pid,
            started_at=sa.func.coalesce(runs.c.started_at, now),
            heartbeat_at=now,
        )

    def mark_finished(self, run_id: int) -> bool:
        """running → finished."""
        return self._transition(run_id, FINISHED, (RUNNING,), ended_at=time.time())

    def mark_failed(self, run_id: int, error: str) -> bool:
        """queued/running → failed, with the error text."""
        return self._transition(
            run_id, FAILED, (QUEUED, RUNNING), ended_at=time.time(), error=error[-20_000:]
        )

    def mark_pruned(self, run_id: int) -> bool:
        """running → pruned: its sweep's pruner stopped it early (its metrics stay)."""
        return self._transition(run_id, PRUNED, (RUNNING,), ended_at=time.time())

    def mark_cancelled(self, run_id: int) -> bool:
        """queued/running → cancelled."""
        return self._transition(run_id, CANCELLED, (QUEUED, RUNNING), ended_at=time.time())

    def request_cancel(self, run_id: int) -> bool:
        """Ask for a running run to stop: its executor signals it. A queued run is cancelled now.

        Returns False if the run had already ended.
        """
        if self.mark_cancelled_if_queued(run_id):
            return True
        with self.engine.begin() as conn:
            changed = conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status == RUNNING)
                .values(
                    cancel_requested_at=sa.func.coalesce(runs.c.cancel_requested_at, time.time())
                )
            ).rowcount
        return bool(changed)

    def mark_cancelled_if_queued(self, run_id: int) -> bool:
        """queued → cancelled (a queued run has no process to stop)."""
        return self._transition(run_id, CANCELLED, (QUEUED,), ended_at=time.time())

    def requeue(self, run_id: int) -> bool:
        """cancelled/failed → queued, to resume from the run's last checkpoint.

        Clears what the earlier attempt recorded about its end; keeps its metrics, which
        the resumed attempt extends (rewritten steps overwrite, never duplicate).
        """
        return self._transition(
            run_id,
            QUEUED,
            (CANCELLED, FAILED),
            ended_at=None,
            error=None,
            cancel_requested_at=None,
            pid=None,
        )

    def release(self, run_id: int) -> bool:
        """running → queued: its process stopped so that a scheduler starts it again (a
        requeued Slurm job), to resume from the run's last checkpoint.

        Returns False, changing nothing, if the run is not running or a cancel was asked for.
        """
        return self._transition(
            run_id,
            QUEUED,
            (RUNNING,),
            extra=runs.c.cancel_requested_at.is_(None),
            pid=None,
            heartbeat_at=None,
        )

    def heartbeat(self, run_id: int) -> None:
        """Record that the run's process is alive."""
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(heartbeat_at=time.time()))

    def _transition(
        self,
        run_id: int,
        to: str,
        allowed_from: tuple[str, ...],
        extra: sa.ColumnElement[bool] | None = None,
        **values: Any,
    ) -> bool:
        condition = sa.and_(runs.c.id == run_id, runs.c.status.in_(allowed_from))
        if extra is not None:
            condition = sa.and_(condition, extra)
        with self.engine.begin() as conn:
            changed = conn.execute(
                runs.update().where(condition).values(status=to, **values)
            ).rowcount
        if not changed:
            self.get_run(run_id)  # raises RunNotFound for a missing run
        return bool(changed)
