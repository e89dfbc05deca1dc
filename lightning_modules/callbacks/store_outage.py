"""A database outage, as the run saw it: when it began, how long it lasted, what waited.

``StoreLogger`` keeps metric points buffered while the store is unreachable. Once a write
goes through again, the outage is written to the run's log (one line) and stored with the
run as two ``system/`` metrics, which the Run page charts with the other system figures:

- ``system/db_outage_s``: how long the database was unreachable, in seconds;
- ``system/db_outage_points``: how many metric points waited for it.

Both are logged at the step of the first point that waited, with the outage's start as
their wall time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from paretolab.store import MetricPoint

OUTAGE_SECONDS = "system/db_outage_s"
OUTAGE_POINTS = "system/db_outage_points"


@dataclass
class Outage:
    """One stretch of failed writes, from the first failure to the first success after it."""

    began: float  # wall time of the first write that failed
    first_step: int  # step of the first point that waited
    dropped: int = 0  # points dropped because the buffer was full

    def report(
        self, waited: int, prefix: str = "", stored: bool = True
    ) -> tuple[str, list[MetricPoint]]:
        """The log line and the metric points that record the outage, ended now.

        Args:
            waited: points that waited for the database to come back.
            prefix: the logger's key prefix (a cross-validation fold's).
            stored: whether the store took them then (False: it refused the batch).
        """
        lasted = time.time() - self.began
        began = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.began))
        line = f"database unreachable from {began} for {lasted:.1f} s: {waited} metric points " + (
            "waited and are now stored" if stored else "waited, and the store refused them"
        )
        if self.dropped:
            line += f" ({self.dropped} older points were dropped: the buffer was full)"
        points = [
            (prefix + OUTAGE_SECONDS, self.first_step, lasted, self.began),
            (prefix + OUTAGE_POINTS, self.first_step, float(waited), self.began),
        ]
        return line, points
