"""trainer.compile's first step: its time and counts, kept out of throughput and MFU.

The first training step compiles the model (and a resumed run's first step compiles too).
Its time is billed (the machine is held) but left out of the throughput and MFU figures, as
the benchmarks do; the counts of that step are subtracted from the rates' numerators.
"""

from __future__ import annotations

import time


class CompileWarmup:
    """Times the compiling step and keeps the FLOPs, tokens and samples counted through it.

    Args:
        compiled: whether the run compiles (``trainer.compile``); if not, nothing is kept.
    """

    def __init__(self, compiled: bool):
        self.compiled = compiled
        self.seconds = 0.0
        self.counts = (0.0, 0.0, 0.0)  # flops, tokens, samples of that step
        self._step_start = 0.0

    def first_step_starts(self) -> None:
        """Call as the run's first step (of this process) starts."""
        self._step_start = time.perf_counter()

    def first_step_ended(self, flops: float, tokens: float, samples: float) -> None:
        """Call as the first step ends, with the totals counted so far (that step's)."""
        if self.compiled:
            self.seconds = time.perf_counter() - self._step_start
            self.counts = (flops, tokens, samples)
