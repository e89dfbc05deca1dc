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

from paretolab import processes
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


@dataclass(frozen=True)
class WorkerTrial:
    """The trial a sweep worker trains now: its run, sweep and trial number."""

    run_id: int
    study: str
    trial_number: int | None


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

    def worker_trials(self, host: str | None = None) -> dict[int, WorkerTrial]:
        """The trial each GPU-holding sweep worker on ``host`` (default this one) trains
        now, by the worker's pid: the running run of a sweep that records that pid (a trial
        trains in its worker's process). A worker between trials has none."""
        host = host or socket.gethostname()
        trains_here = (runs.c.host == gpu_holdings.c.host) & (runs.c.pid == gpu_holdings.c.pid)
        query = (
            sa.select(gpu_holdings.c.pid, runs.c.id, runs.c.study, runs.c.trial_number)
            .join(runs, trains_here)
            .where(gpu_holdings.c.host == host, gpu_holdings.c.run_id.is_(None))
            .where(runs.c.status == RUNNING, runs.c.study.is_not(None))
            .order_by(runs.c.id)  # a stale row of a reused pid is overridden by the newest
        )
        with self.engine.connect() as conn:
            return {
                r["pid"]: WorkerTrial(r["id"], r["study"], r["trial_number"])
                for r in conn.execute(query).mappings()
            }

    def hand_gpus_to_process(self, gpus: Sequence[int], from_pid: int, to_pid: int) -> int:
        """Move this host's ``gpus`` held for ``from_pid`` to ``to_pid`` in one UPDATE (a
        launcher holds them before it starts the process); returns how many moved."""
        where = (
            (gpu_holdings.c.host == socket.gethostname())
            & (gpu_holdings.c.pid == from_pid)
            & gpu_holdings.c.gpu_index.in_(list(gpus))
        )
        with self.engine.begin() as conn:
            return conn.execute(gpu_holdings.update().where(where).values(pid=to_pid)).rowcount

    def held_gpus(self, process_alive: Callable[[int], bool] | None = None) -> set[int]:
        """This host's GPUs held now, after freeing those whose holder has ended
        (``release_ended_holdings``; ``process_alive`` defaults to ``processes.group_alive``)."""
        self.release_ended_holdings(process_alive or processes.group_alive)
        return {h.gpu_index for h in self.gpu_holdings()}

    def release_gpus(
        self,
        *,
        run_id: int | None = None,
        pid: int | None = None,
        gpus: Sequence[int] | None = None,
    ) -> int:
        """Free the GPUs of a run, or of a process on this host (only ``gpus`` of them, when
        given); returns how many."""
        if run_id is not None:
            where = gpu_holdings.c.run_id == run_id
        else:
            where = (gpu_holdings.c.pid == pid) & (gpu_holdings.c.host == socket.gethostname())
        if gpus is not None:
            where = where & gpu_holdings.c.gpu_index.in_(list(gpus))
        with self.engine.begin() as conn:
            return conn.execute(gpu_holdings.delete().where(where)).rowcount

    def release_ended_holdings(self, process_alive: Callable[[int], bool]) -> int:
        """Free every GPU whose run is no longer running (ended, failed, cancelled, reaped,
        requeued) and, on this host, whose process is gone too (``process_alive(pid)``:
        ``processes.group_alive``), and on this host every GPU of a sweep worker that is
        gone. Returns how many.

        Only reads unless something is to be freed: the executor calls it every second, and
        a write there would compete for SQLite's lock with the training processes' metrics.
        """
        here = socket.gethostname()
        query = sa.select(gpu_holdings, runs.c.status, runs.c.pid.label("run_pid")).outerjoin(
            runs, runs.c.id == gpu_holdings.c.run_id
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        ended = [r for r in rows if _holding_ended(r, here, process_alive)]
        if not ended:
            return 0
        freed = 0
        with self.engine.begin() as conn:
            for r in ended:  # this very holding: not one claimed anew since we read it
                same = (
                    (gpu_holdings.c.host == r["host"])
                    & (gpu_holdings.c.gpu_index == r["gpu_index"])
                    & (gpu_holdings.c.holder == r["holder"])
                    & (gpu_holdings.c.claimed_at == r["claimed_at"])
                )
                freed += conn.execute(gpu_holdings.delete().where(same)).rowcount
        return freed

    def set_queue_reason(self, run_id: int, reason: str | None) -> None:
        """Record why a queued run waits (None: nothing holds it back)."""
        with self.engine.begin() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status == QUEUED)
                .where(runs.c.queue_reason.is_distinct_from(reason))
                .values(queue_reason=reason)
            )


def _holding_ended(row: sa.RowMapping, here: str, process_alive: Callable[[int], bool]) -> bool:
    """Whether a holding (joined with its run's status and pid) is over.

    A run records its end from rank 0 while its processes (the other DDP ranks, its
    DataLoader workers) may still hold the GPUs: on this host, its GPUs are free only once
    its process is gone as well. On another host the status decides (its executor sees the
    processes)."""
    if row["run_id"] is None:  # a sweep worker's: over when its process is gone
        return row["host"] == here and not process_alive(row["pid"])
    if row["status"] == RUNNING:
        return False
    local_pid = row["run_pid"] if row["host"] == here else None
    return not (local_pid and process_alive(local_pid))
