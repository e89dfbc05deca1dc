"""System-metrics overhead: training step time with the sampler off and on, and one sample's cost.

    python benchmarks/system_metrics.py [--quick] [--rounds 4] [--block-s 12] [--accelerator auto]

One training run of a small Transformer (the tiny BBC classifier, widened to 2 × 128)
alternates blocks of training steps: sampler off, on at the default interval (5 s), on at
an aggressive one (0.1 s). Each round rotates the order, so drift (thermal, other load)
falls on every condition alike; the first block warms up and is dropped. Reported: mean
step time per condition and its ratio to off (one run, one machine), the samples taken and
the cost of one sample in ms (timed on the sampling thread, store writes excluded), and the
overhead that per-sample cost implies at each interval. Goal (issue 10): under 1% of the
step time at the default interval. ``--quick`` is a smoke run (short blocks, one round).
Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO, markdown_table, publish, remember_commit  # noqa: E402

DEFAULT_INTERVAL = 5.0
AGGRESSIVE_INTERVAL = 0.1
CONDITIONS = (None, DEFAULT_INTERVAL, AGGRESSIVE_INTERVAL)  # None: sampler off


class Blocks:
    """A Lightning callback that times blocks of steps and switches the sampler per block."""

    def __init__(self, schedule: list[float | None], block_s: float):
        self.schedule, self.block_s = schedule, block_s
        self.results: list[tuple[float | None, int, float]] = []  # (interval, steps, seconds)
        self.samplers: list = []  # every SystemMetrics used, for their per-sample cost
        self._block = -1  # -1: warm-up
        self._started = 0.0
        self._steps = 0
        self._sampler = None

    def hooks(self):
        import lightning.pytorch as pl

        outer = self

        class _Hooks(pl.Callback):
            def on_train_batch_start(self, trainer, *args) -> None:
                if outer._started == 0.0:
                    outer._begin(trainer)

            def on_train_batch_end(self, trainer, *args) -> None:
                outer._steps += 1
                if time.perf_counter() - outer._started >= outer._length():
                    outer._end(trainer)

        return _Hooks()

    def _length(self) -> float:
        return max(2.0, self.block_s / 2) if self._block < 0 else self.block_s

    def _begin(self, trainer) -> None:
        from lightning_modules.callbacks.system_metrics import SystemMetrics

        interval = self.schedule[self._block] if self._block >= 0 else None
        if interval is not None:
            self._sampler = SystemMetrics(interval)
            self._sampler.start(trainer)
            self.samplers.append(self._sampler)
        self._steps, self._started = 0, time.perf_counter()

    def _end(self, trainer) -> None:
        seconds = time.perf_counter() - self._started
        if self._sampler is not None:  # stopped outside the timed steps
            self._sampler.stop()
            self._sampler = None
        if self._block >= 0:
            self.results.append((self.schedule[self._block], self._steps, seconds))
        self._block += 1
        self._started = 0.0
        if self._block >= len(self.schedule):
            trainer.should_stop = True


def schedule(rounds: int) -> list[float | None]:
    """Each round runs every condition once, the order rotated by one each round."""
    out: list[float | None] = []
    for r in range(rounds):
        k = r % len(CONDITIONS)
        out += [*CONDITIONS[k:], *CONDITIONS[:k]]
    return out


def train(blocks: Blocks, accelerator: str, home: Path) -> None:
    """Fit the small model with ``blocks`` switching the sampler, logging to a real store."""
    import lightning.pytorch as pl

    from lightning_modules.callbacks.store_logger import StoreLogger
    from lightning_modules.data import build_data_module
    from lightning_modules.tasks import build_task
    from paretolab.config.io import load_config
    from paretolab.store import RunStore

    config = load_config(
        REPO / "configs" / "tiny.yaml",
        [
            "model.d_model=128",
            "model.n_layers=2",
            "model.n_heads=4",
            "data.limit_samples=2000",
            "hardware.num_threads=null",
            "wandb.mode=disabled",
        ],
    )
    store = RunStore()
    run = store.create_run(config.model_dump(mode="json"), "bench", config.task)
    (home / "run").mkdir(parents=True, exist_ok=True)
    data = build_data_module(config, home / "run")
    data.setup("fit")
    task = build_task(config, data)
    logger = StoreLogger(store, run.id)
    trainer = pl.Trainer(
        accelerator=accelerator,
        devices=1,
        max_epochs=10_000,
        limit_val_batches=0,
        logger=[logger],
        callbacks=[blocks.hooks()],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=config.trainer.log_every_n_steps,
    )
    trainer.fit(task, datamodule=data)
    logger.flush()


def summarize(blocks: Blocks) -> tuple[str, str]:
    """The results table, and notes with the per-sample cost."""
    totals: dict[float | None, list[float]] = {}
    for interval, steps, seconds in blocks.results:
        total = totals.setdefault(interval, [0, 0.0])
        total[0] += steps
        total[1] += seconds
    step_ms = {k: 1000 * s / n for k, (n, s) in totals.items()}
    samples = sum(s.sampler.samples for s in blocks.samplers if s.sampler)
    sample_s = sum(s.sample_seconds for s in blocks.samplers)
    per_sample_ms = 1000 * sample_s / samples if samples else float("nan")
    header = ["sampler", "steps", "mean step (ms)", "step time ÷ off", "implied overhead"]
    rows = []
    for interval in CONDITIONS:
        n, _ = totals[interval]
        label = "off" if interval is None else f"on, every {interval:g} s"
        implied = "-" if interval is None else f"{per_sample_ms / (1000 * interval):.3%}"
        rows.append(
            [
                label,
                f"{n:,}",
                f"{step_ms[interval]:.2f}",
                f"{step_ms[interval] / step_ms[None]:.4f}",
                implied,
            ]
        )
    notes = (
        f"{samples:,} samples at {per_sample_ms:.2f} ms each (timed on the sampling thread, "
        f"store writes not included). 'implied overhead' is that cost ÷ the interval; the "
        f"measured ratio also holds any GIL contention, and the noise of one run on this "
        f"machine. {len(blocks.results)} blocks of {blocks.block_s:g} s, conditions rotated "
        f"each round, after a dropped warm-up block. Goal: < 1% at the default interval."
    )
    return markdown_table(header, rows), notes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s blocks, 1 round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the three conditions")
    parser.add_argument("--block-s", type=float, default=12.0, help="seconds per block")
    parser.add_argument("--accelerator", default="auto", help="cpu, gpu or auto")
    args = parser.parse_args()
    rounds, block_s = (1, 2.0) if args.quick else (args.rounds, args.block_s)
    remember_commit()
    os.environ.setdefault("WANDB_SILENT", "true")
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as home:
        os.environ["PARETOLAB_HOME"] = home
        os.environ.pop("PARETOLAB_DB_URL", None)
        blocks = Blocks(schedule(rounds), block_s)
        train(blocks, args.accelerator, Path(home))
    table, notes = summarize(blocks)
    publish("system_metrics", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
