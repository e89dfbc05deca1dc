"""What every executor is: a loop over the store that starts (or submits) queued runs.

Its own module so that the local and the Slurm executor both build on it without importing
each other (``local.make_executor`` picks one)."""

from __future__ import annotations

import logging
import time

from paretolab.store import QUEUED, RUNNING, RunStore

log = logging.getLogger(__name__)


class Executor:
    """Polls the store and acts on it, one ``tick`` at a time."""

    store: RunStore

    def tick(self) -> list[int]:
        """One round; returns the ids of the runs started (or submitted)."""
        raise NotImplementedError

    def busy(self) -> bool:
        """True while there is work: runs queued or running."""
        return bool(self.store.list_runs([QUEUED, RUNNING], limit=1))

    def serve(self, poll_seconds: float = 1.0, stop_when_idle: float | None = None) -> None:
        """Tick until killed, or until nothing was queued or running for ``stop_when_idle`` s."""
        idle_since = time.monotonic()
        while True:
            try:
                self.tick()
                busy = self.busy()
            except Exception:  # the database may be briefly unreachable: try again
                log.exception("executor tick failed")
                busy = True
            if busy:
                idle_since = time.monotonic()
            elif stop_when_idle is not None and time.monotonic() - idle_since > stop_when_idle:
                return
            time.sleep(poll_seconds)
