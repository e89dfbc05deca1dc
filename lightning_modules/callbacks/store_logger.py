"""A Lightning logger that writes a run's metrics to the run store in batches."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import torch
from lightning.pytorch.loggers import Logger
from sqlalchemy import exc as sa_exc

from lightning_modules.callbacks.store_outage import Outage
from paretolab.costing.run_figures import BurnRate
from paretolab.store import MetricPoint, RunStore

log = logging.getLogger(__name__)

MAX_BUFFERED_POINTS = 1_000_000


class StoreLogger(Logger):
    """A Lightning logger that writes metrics to the run store in batches.

    Points are buffered and written every ``flush_every`` points or ``flush_seconds``
    seconds, and at the end of training — also after an exception or SIGTERM, since
    Lightning calls ``finalize`` on every exit path. A failed write (database down) keeps
    the points buffered for the next try; writes are upserts on (run, key, step), so a
    retry never duplicates a point. When writes go through again, the outage (start,
    length, points that waited) goes to the run's log and its metrics (``store_outage``).
    ``prefix`` goes before every key (``fold0/`` for the
    first fold of a cross-validation, whose steps restart at 0 like its own curves). Under
    DDP only ``rank`` 0 writes: one point per key and step.

    Thread-safe: the system-metrics sampler logs from its own thread. One flush writes at
    a time, in the order the points were logged.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        flush_every: int = 500,
        flush_seconds: float = 5.0,
        prefix: str = "",
        rank: int = 0,
    ):
        super().__init__()
        self.store, self.run_id, self.prefix, self.rank = store, run_id, prefix, rank
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self._buffer: list[MetricPoint] = []
        self._last_flush = time.monotonic()
        self._buffer_lock = threading.Lock()  # guards _buffer and _last_flush
        self._write_lock = threading.Lock()  # one write to the store at a time, in order
        self._outage: Outage | None = None  # since the first write that failed, if any
        self.latest: dict[str, float] = {}  # the last value of each key, unprefixed

    def record_burn_rate(self, rate: BurnRate) -> None:
        """Record the run's hardware and hourly rates (``CostTracker``, at the start of fit).
        Spend then counts the run while it runs; a store outage only delays that."""
        if self.rank != 0:
            return
        try:
            self.store.set_burn_rate(self.run_id, rate)
        except sa_exc.SQLAlchemyError as exc:
            log.warning("could not record the run's burn rate: %s", exc)

    @property
    def name(self) -> str:
        return "paretolab"

    @property
    def version(self) -> str:
        return str(self.run_id)

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """The config is already in the store with the run; nothing more to write."""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        if self.rank != 0:
            return
        now = time.time()
        step = int(step or 0)
        values = {
            key: float(v.item() if isinstance(v, torch.Tensor) else v) for key, v in metrics.items()
        }
        self.latest |= values
        points = [(self.prefix + key, step, value, now) for key, value in values.items()]
        with self._buffer_lock:
            self._buffer += points
            due = (
                len(self._buffer) >= self.flush_every
                or time.monotonic() - self._last_flush >= self.flush_seconds
            )
        if due:
            self.flush()

    def flush(self) -> bool:
        """Write buffered points. Returns False (and keeps them) if the store is unreachable."""
        with self._write_lock:
            with self._buffer_lock:
                self._last_flush = time.monotonic()
                batch, self._buffer = self._buffer, []
            if not batch:
                return True
            stored = True
            try:
                self.store.log_metrics(self.run_id, batch)
            except (sa_exc.OperationalError, sa_exc.InterfaceError, ConnectionError) as exc:
                # The database may be briefly unreachable: keep the points for the next
                # flush, up to a cap, so a long outage cannot exhaust memory.
                if self._outage is None:
                    self._outage = Outage(began=time.time(), first_step=batch[0][1])
                with self._buffer_lock:
                    self._buffer = batch + self._buffer
                    if len(self._buffer) > MAX_BUFFERED_POINTS:
                        dropped = len(self._buffer) - MAX_BUFFERED_POINTS
                        self._buffer = self._buffer[dropped:]
                        self._outage.dropped += dropped
                        log.error("metric buffer full: dropped the %d oldest points", dropped)
                    kept = len(self._buffer)
                log.warning("could not write %d metric points yet (%s); will retry", kept, exc)
                return False
            except Exception:
                # Not a connectivity problem (e.g. a rejected key): retrying cannot help, and
                # keeping the batch would block every later point.
                log.exception("dropped %d metric points the store refused", len(batch))
                stored = False
            if self._outage is not None:
                self._record_outage(len(batch), stored)
            return True

    def _record_outage(self, waited: int, stored: bool) -> None:
        """The database is back: say in the run's log and in its metrics that it was gone."""
        line, points = self._outage.report(waited, self.prefix, stored)
        self._outage = None
        log.warning(line)
        try:
            self.store.log_metrics(self.run_id, points)
        except Exception:  # gone again: the log line still tells
            log.exception("could not record the database outage with the run")

    def save(self) -> None:
        """Called by Lightning at checkpoints: a natural moment to flush."""
        self.flush()

    def finalize(self, status: str) -> None:
        self.flush()
