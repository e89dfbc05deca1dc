"""W&B's Lightning logger, sending each metric at most once in a while.

A ``WandbLogger.log_metrics`` call costs about 6 ms of the training thread (W&B serialises
the values and hands them to its service process). At a small model's few-millisecond steps,
Lightning's default of logging every 10 steps then spends ~8% of the run on W&B
(docs/overhead-profile.md). The run store gets every point; W&B, whose charts sample long
series anyway, gets each metric at most once every ``min_interval_s`` seconds:

- a call goes through when any of its metrics was last sent ``min_interval_s`` ago or never
  (a validation metric logged every few hundred steps always does);
- otherwise it is held, replacing an older held call; a held call is sent before the next
  call that goes through (steps stay in order) and when the run ends, so W&B's curves end
  at the run's last logged point.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities.rank_zero import rank_zero_only


class ThrottledWandbLogger(WandbLogger):
    """A ``WandbLogger`` that sends each metric at most once in ``min_interval_s`` seconds.

    Args:
        min_interval_s: the least time between two sends of one metric; 0 sends every call.
        **kwargs: ``WandbLogger``'s arguments.
    """

    def __init__(self, min_interval_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_interval_s = min_interval_s
        self._sent_at: dict[str, float] = {}  # metric → when it was last sent (monotonic)
        self._held: tuple[dict[str, Any], int | None] | None = None

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        now = time.monotonic()
        due = any(now - self._sent_at.get(k, float("-inf")) >= self.min_interval_s for k in metrics)
        if not due:
            self._held = (dict(metrics), step)
            return
        self._send_held()
        self._sent_at.update(dict.fromkeys(metrics, now))
        super().log_metrics(metrics, step)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        self._send_held()
        super().finalize(status)

    def _send_held(self) -> None:
        if self._held is not None:
            metrics, step = self._held
            self._held = None
            super().log_metrics(metrics, step)
