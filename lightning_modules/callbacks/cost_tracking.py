"""What a run cost: a callback that counts tokens, FLOPs, time, dollars, energy and CO₂e.

During training it counts the sequences and tokens of every batch and their FLOPs by the
cost model's exact formula (pure arithmetic, cached per batch shape), and every
``log_every_n_steps`` logs Lightning's ``Throughput`` figures (``throughput/*``: tokens/s,
FLOP/s, MFU). Once, on the first training batch, it measures that batch's FLOPs with
torch's FlopCounterMode, so each run carries measured ÷ estimated.

At the end of fit (also when the run fails or is cancelled) it stores the run's figures as ``cost/*`` metrics and a ``cost.json``
artifact that also holds every assumption (catalog entry, price quote with its date and
source, PUE, grid intensity, peak FLOP/s and where it came from). Wall time is fit time;
validation inside fit is billed (the machine is held) but left out of throughput and MFU.

Under DDP the bill counts every device: GPU-hours are wall time × devices × nodes. The
processes of a CPU run share their machine, so a CPU run is billed per node, and each
process is credited with its share of the CPU's peak.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.fabric.utilities.throughput import Throughput

from lightning_modules.callbacks.compile_warmup import CompileWarmup
from lightning_modules.callbacks.flop_count import (
    FlopModel,
    count_training_flops,
    flop_model,
    real_token_count,
)
from lightning_modules.callbacks.process_peak import process_peak
from lightning_modules.sharded import is_sharded
from paretolab.config import RunConfig
from paretolab.costing.catalog import PRECISION_DTYPES, load_catalog
from paretolab.costing.flops import flops_6nd
from paretolab.costing.pricing import spend
from paretolab.costing.run_figures import burn_rate

log = logging.getLogger(__name__)
COST_FILE = "cost.json"
ENERGY_NOTE = (
    "cost/energy_kwh is the estimate TDP × PUE (tdp_estimate); where the run measured its "
    "energy (system/energy_*_kwh: nvml_energy, nvml_power, rapl), the views use that × PUE "
    "instead and name its method"
)


class CostTracker(pl.Callback):
    """Counts a run's work and stores what it cost (see the module docstring).

    Args:
        config: the run config (precision, hardware profile, pricing, logging interval).
        out_dir: where ``cost.json`` is written (the run's or the fold's folder).
    """

    def __init__(self, config: RunConfig, out_dir: Path):
        self.config, self.out_dir = config, Path(out_dir)
        self.counting: FlopModel | None = None
        self._model_counts: FlopModel | None = None
        self._flops_cache: dict[tuple[int, ...], float] = {}
        self.flops = self.tokens = self.samples = self.batches = 0.0
        self._flops_logged = 0.0
        # Non-padding tokens: counted on the host where the shapes tell, else summed on the
        # device and read once, when the run is costed (never a sync per step).
        self.real_tokens: int | None = None
        self._real_on_device: torch.Tensor | None = None
        self.measured: dict[str, float] = {}
        self._fit_start = self._val_start = 0.0
        self.val_seconds = self.measure_seconds = 0.0
        self.warmup = CompileWarmup(config.trainer.compile)
        self.throughput: Throughput | None = None
        self._stored = False

    # ------------------------------------------------------------------ counting

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        # Before the strategy wraps the model: under FSDP its parameters are shards after.
        if stage == "fit":
            self._model_counts = flop_model(self.config, pl_module)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.counting = self._model_counts or flop_model(self.config, pl_module)
        self.peak, self.peak_source, self.profile = process_peak(self.config, trainer)
        self.throughput = Throughput(self.peak, world_size=trainer.world_size, window_size=5)
        self._fit_start = time.perf_counter()
        self._record_burn_rate(trainer)

    def _record_burn_rate(self, trainer: pl.Trainer) -> None:
        """Tell the run store what an hour of this run costs, so spend counts a running run
        (and one killed before its bill) from now on."""
        if self.profile is None or not trainer.is_global_zero:
            return
        hw = self.config.hardware
        rate = burn_rate(
            self.profile, trainer.world_size // trainer.num_nodes, trainer.num_nodes, hw.pricing
        )
        for logger in trainer.loggers:
            record = getattr(logger, "record_burn_rate", None)
            if rate is not None and record is not None:
                record(rate)

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        # Not under FSDP: a forward through the task outside the FSDP root would make an
        # inner unit act as the root; the run's FLOPs are then the cost model's count alone.
        if not self.measured and trainer.global_step == 0 and not is_sharded(trainer.model):
            self._measure_flops(trainer, pl_module, batch)
        if self.batches == 0:  # also the first step of a resumed run, which compiles too
            self.warmup.first_step_starts()

    def _measure_flops(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any
    ) -> None:
        """The first batch's FLOPs by FlopCounterMode, beside the formula's count."""
        start = time.perf_counter()
        try:
            measured = count_training_flops(pl_module, batch, backward=trainer.world_size == 1)
        except Exception:  # a measurement must never fail the run
            log.exception("could not measure FLOPs with FlopCounterMode")
            measured = 0
        estimated = self.counting.flops(self.counting.batch(batch, True))
        self.measured = {"measured": float(measured), "estimated": estimated}
        self.measure_seconds = time.perf_counter() - start

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        b = self.counting.batch(batch, False)
        key = (b.sequences, b.seq_len, b.target_len)
        if key not in self._flops_cache:
            self._flops_cache[key] = self.counting.flops(b)
        self.flops += self._flops_cache[key]
        self.tokens += b.tokens
        self.samples += b.sequences
        if self.batches == 0:
            self.warmup.first_step_ended(self.flops, self.tokens, self.samples)
        self.batches += 1
        self._count_real_tokens(real_token_count(batch))
        if int(self.batches) % self.config.trainer.log_every_n_steps == 0:
            self._log_throughput(trainer)

    def _count_real_tokens(self, real: int | torch.Tensor | None) -> None:
        if real is None:
            return
        self.real_tokens = self.real_tokens or 0
        if isinstance(real, int):
            self.real_tokens += real
        elif self._real_on_device is None:
            self._real_on_device = real
        else:
            self._real_on_device += real  # in place: a fresh sum of this batch's

    def real_token_total(self) -> float | None:
        """The non-padding tokens counted so far (reads the device's count: not per step)."""
        if self.real_tokens is None:
            return None
        on_device = 0 if self._real_on_device is None else self._real_on_device.item()
        return float(self.real_tokens + on_device)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._val_start = time.perf_counter()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._fit_start and not trainer.sanity_checking:
            self.val_seconds += time.perf_counter() - self._val_start

    def train_seconds(self) -> float:
        """Fit time spent training: no validation, no FLOP measurement, no compilation."""
        fit = time.perf_counter() - self._fit_start
        return max(fit - self.val_seconds - self.measure_seconds - self.warmup.seconds, 1e-9)

    def _log_throughput(self, trainer: pl.Trainer) -> None:
        self.throughput.update(
            time=self.train_seconds(),
            batches=int(self.batches),
            samples=int(self.samples),
            lengths=int(self.tokens),
            # Since the last update, all devices: Throughput divides by the world size.
            flops=int((self.flops - self._flops_logged) * trainer.world_size),
        )
        self._flops_logged = self.flops
        figures = self.throughput.compute()
        wanted = {
            "device/items_per_sec": "throughput/tokens_per_sec",
            "device/samples_per_sec": "throughput/samples_per_sec",
            "device/flops_per_sec": "throughput/flops_per_sec",
            "device/mfu": "throughput/mfu",
        }
        metrics = {name: figures[key] for key, name in wanted.items() if key in figures}
        if metrics and trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.log_metrics(metrics, step=trainer.global_step)

    # ------------------------------------------------------------------ the bill

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._store(trainer)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        # A failed or cancelled run cost money too: store what it spent until it stopped.
        if trainer.state.fn == "fit":
            self._store(trainer)

    def _store(self, trainer: pl.Trainer) -> None:
        if not trainer.is_global_zero or self.counting is None or self._stored:
            return
        self._stored = True
        report = self.report(trainer.world_size, trainer.num_nodes)
        metrics = {f"cost/{k}": float(v) for k, v in report["figures"].items() if v is not None}
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=trainer.global_step)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.out_dir / f".{COST_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(report, indent=1), encoding="utf-8")
        os.replace(tmp, self.out_dir / COST_FILE)

    def report(self, world_size: int = 1, num_nodes: int = 1) -> dict[str, Any]:
        """The run's figures (``figures``, stored as ``cost/*`` metrics) and assumptions,
        for ``world_size`` processes on ``num_nodes`` machines."""
        seconds = time.perf_counter() - self._fit_start
        train_seconds = self.train_seconds()
        n = self.counting.params
        flops = self.flops * world_size
        ratio = (
            self.measured["measured"] / self.measured["estimated"]
            if self.measured.get("measured") and self.measured.get("estimated")
            else None
        )
        # Rates over the steps that train_seconds times (the compiling step is left out).
        warm_flops, warm_tokens, warm_samples = self.warmup.counts
        achieved = (self.flops - warm_flops) * world_size / train_seconds
        real = self.real_token_total()
        figures: dict[str, float | None] = {
            "params": float(n),
            "tokens": self.tokens * world_size,
            "tokens_real": real * world_size if real is not None else None,
            "samples": self.samples * world_size,
            "wall_seconds": seconds,
            "train_seconds": train_seconds,
            "tokens_per_sec": (self.tokens - warm_tokens) * world_size / train_seconds,
            "samples_per_sec": (self.samples - warm_samples) * world_size / train_seconds,
            "compile_seconds": self.warmup.seconds,
            "flops_estimated": flops,
            "flops_measured": flops * ratio if ratio else None,
            "flops_ratio": ratio,
            "flops_6nd": flops_6nd(n, self.tokens * world_size),
            "flops_per_sec": achieved,
            "peak_flops": self.peak,
            "mfu": achieved / (self.peak * world_size) if self.peak else None,
        }
        assumptions: dict[str, Any] = {
            "hardware": self.profile,
            "precision": self.config.trainer.precision,
            "dtype": PRECISION_DTYPES[self.config.trainer.precision],
            "peak_source": self.peak_source,
            "flops": "exact per-layer count of every training batch (backward = 2 × forward)",
            "flops_measured": "FlopCounterMode on the first training batch, forward + "
            "backward (forward × 3 under DDP); the run's total is the estimate × "
            "measured/estimated",
            "batch_measured": self.measured,
            "tokens": "token positions processed, padding included",
            "wall_seconds": "fit time, validation included (the device is held)",
            "compile_seconds": "trainer.compile's first step (compilation), left out of "
            "train_seconds, throughput and MFU, billed in wall_seconds",
            **self.counting.basis,
        }
        if self.profile is not None:
            catalog = load_catalog()
            # A GPU entry prices one device; the CPU entry prices the machine, shared by its
            # processes.
            billed = num_nodes if catalog.device(self.profile).kind == "cpu" else world_size
            bill = spend(catalog, self.profile, seconds, billed, self.config.hardware.pricing)
            figures |= {
                "device_hours": bill.device_hours,
                "usd": bill.cost_usd,
                "energy_kwh": bill.energy_kwh,
                "co2_kg": bill.co2_kg,
            }
            assumptions |= {"spend": bill.as_dict(), "energy": ENERGY_NOTE}
        return {"figures": figures, "assumptions": assumptions}
