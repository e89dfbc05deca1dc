"""GPU holdings in the store (``RunStore`` inherits these calls): which GPUs of which host a
run or a sweep worker holds, and why a queued run waits.

A claim is one transaction: the run moves queued → running and its GPUs' rows are inserted
together, or neither happens. The (host, GPU index) primary key refuses a second holder, so
two executors, or an executor and a sweep starting workers, never book one GPU twice.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from paretolab.store.entities import QUEUED, RUNNING
from paretolab.store.schema import gpu_holdings, runs


@dataclass(frozen=True)
class GpuHolding:
    """One GPU held now."""

    host: str
    gpu_index: int
    holder: str  # "run 12", "sweep s1 worker 0"
    run_id: int | None
    pid: int | None  # a sweep worker's process (None for a run: its run's status decides)
    claimed_at: float


class GpuCalls:
    """GPU-holding calls of ``RunStore`` (which provides ``engine``)."""

    engine: sa.Engine

    def claim_with_gpus(self, run_id: int, gpus: Sequence[int], host: str | None = None) -> bool:
        """queued → running on ``host`` holding ``gpus``, all in one transaction.

        Returns False, changing nothing, if the run is no longer queued or any of the GPUs
        is held already (another launcher was first).
        """
        host = host or socket.gethostname()
        now = time.time()
        claim = (
            runs.update()
            .where(runs.c.id == run_id, runs.c.status == QUEUED)
            .values(
                status=RUNNING,
                host=host,
                pid=None,
                started_at=now,
                heartbeat_at=now,
                queue_reason=None,
            )
        )
        rows = [
            {"host": host, "gpu_index": i, "run_id": run_id, "holder": f"run {run_id}"}
            for i in gpus
        ]
        return self._insert_holdings(rows, now, before=lambda conn: conn.execute(claim).rowcount)

    def claim_gpus_for_process(
        self, gpus: Sequence[int], pid: int, holder: str, host: str | None = None
    ) -> bool:
        """Hold ``gpus`` for a process that is not a run (a sweep worker); False if any is held."""
        host = host or socket.gethostname()
        rows = [{"host": host, "gpu_index": i, "pid": pid, "holder": holder} for i in gpus]
        return self._insert_holdings(rows, time.time())

    def _insert_holdings(
        self,
        rows: list[dict],
        now: float,
        before: Callable[[sa.Connection], int] | None = None,
    ) -> bool:
        try:
            with self.engine.begin() as conn:
                if before is not None and not before(conn):
                    return False
                if rows:
                    conn.execute(gpu_holdings.insert(), [{**r, "claimed_at": now} for r in rows])
        except sa.exc.IntegrityError:  # a GPU is held: the whole transaction rolled back
            return False
        return True

    def gpu_holdings(self, host: str | None = None) -> list[GpuHolding]:
        """The GPUs held on ``host`` (default this one), by index."""
        host = host or socket.gethostname()
        query = (
            sa.select(gpu_holdings)
            .where(gpu_holdings.c.host == host)
            .order_by(gpu_holdings.c.gpu_index)
        )
        with self.engine.connect() as conn:
            return [
                GpuHolding(
                    r["host"], r["gpu_index"], r["holder"], r["run_id"], r["pid"], r["claimed_at"]
                )
                for r in conn.execute(query).mappings()
            ]

    def release_gpus(self, *, run_id: int | None = None, pid: int | None = None) -> int:
        """Free the GPUs of a run, or of a process on this host; returns how many."""
        if run_id is not None:
            where = gpu_holdings.c.run_id == run_id
        else:
            where = (gpu_holdings.c.pid == pid) & (gpu_holdings.c.host == socket.gethostname())
        with self.engine.begin() as conn:
            return conn.execute(gpu_holdings.delete().where(where)).rowcount

    def release_ended_holdings(self, process_alive: Callable[[int], bool]) -> int:
        """Free every GPU whose run is no longer running (ended, failed, cancelled, reaped,
        requeued) and, on this host, every GPU of a process that is gone. Returns how many."""
        running = sa.select(runs.c.id).where(runs.c.status == RUNNING)
        ended_runs = gpu_holdings.c.run_id.is_not(None) & gpu_holdings.c.run_id.not_in(running)
        here = socket.gethostname()
        dead_pids = [
            h.pid for h in self.gpu_holdings(here) if h.run_id is None and not process_alive(h.pid)
        ]
        where = ended_runs
        if dead_pids:
            where = where | (gpu_holdings.c.pid.in_(dead_pids) & (gpu_holdings.c.host == here))
        with self.engine.begin() as conn:
            return conn.execute(gpu_holdings.delete().where(where)).rowcount

    def set_queue_reason(self, run_id: int, reason: str | None) -> None:
        """Record why a queued run waits (None: nothing holds it back)."""
        with self.engine.begin() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status == QUEUED)
                .where(runs.c.queue_reason.is_distinct_from(reason))
                .values(queue_reason=reason)
            )
