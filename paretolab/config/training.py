"""The run config's training sections: optimiser, trainer budget, hardware, monitoring,
generation and W&B (assembled into ``RunConfig`` in ``paretolab.config``; the model section
is ``config.model``). Imports no torch."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from paretolab.config.base import ConfigSection

# Lightning strategies a run config cannot choose, and why.
UNSUPPORTED_STRATEGIES: dict[str, str] = {
    **dict.fromkeys(
        ("ddp_spawn", "ddp_fork", "ddp_notebook"),
        "a run's side effects (store, checkpoints) live in processes Lightning's script "
        "launcher or srun starts; use ddp",
    ),
    "deepspeed": "use fsdp (pretrained models) or ddp",
    "dp": "Lightning 2 removed DataParallel; use ddp",
}


class OptimConfig(ConfigSection):
    optimizer: Literal["adamw", "adam", "rmsprop", "sgd", "muon"] = "adamw"
    """Optimiser. `sgd` uses `momentum` (Nesterov off); `rmsprop` uses it too. `muon`:
    Muon (orthogonalised momentum, Nesterov, momentum 0.95) on the Transformer blocks'
    matrices and AdamW (`betas`, `eps`) on embeddings, heads, biases and norms, at AdamW's
    learning-rate scale."""

    lr: float = Field(1e-3, gt=0.0, le=10.0)
    """Peak learning rate (reached after warm-up)."""

    head_lr: float | None = Field(None, gt=0.0, le=10.0)
    """Pretrained models: peak learning rate of the freshly initialised task head (a new
    head on a trained body learns faster at a larger rate). Empty: `lr`."""

    weight_decay: float = Field(0.01, ge=0.0, le=1.0)
    """Weight decay (decoupled for AdamW); applied to weight matrices, not to biases and norms."""

    momentum: float = Field(0.9, ge=0.0, lt=1.0)
    """Momentum for `sgd` and `rmsprop`."""

    betas: tuple[float, float] = (0.9, 0.999)
    """Adam/AdamW beta1 and beta2."""

    eps: float = Field(1e-8, gt=0.0, le=1.0)
    """Adam/AdamW/RMSprop epsilon."""

    scheduler: Literal["cosine", "linear", "step", "constant"] = "cosine"
    """Learning-rate schedule after warm-up: cosine or linear decay to `min_lr_ratio`,
    step decay by `step_gamma` every `step_size` steps, or constant."""

    warmup_steps: int = Field(0, ge=0)
    """Optimiser steps of linear warm-up from 0 to `lr`."""

    decay_by_time: bool = False
    """With `trainer.max_time_minutes`: decay the learning rate by whichever budget runs
    out first, steps or time, so a run stopped by its time limit has finished annealing."""

    min_lr_ratio: float = Field(0.0, ge=0.0, le=1.0)
    """Final learning rate of cosine/linear decay, as a fraction of `lr`."""

    step_size: int = Field(1000, ge=1)
    """`step` schedule: optimiser steps between decays."""

    step_gamma: float = Field(0.5, gt=0.0, le=1.0)
    """`step` schedule: factor applied at each decay."""

    @field_validator("betas")
    @classmethod
    def _betas_in_range(cls, betas: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"each beta must be in [0, 1), got {list(betas)}")
        return betas


class EarlyStoppingConfig(ConfigSection):
    patience: int = Field(3, ge=1)
    """Validation checks without improvement of `trainer.monitor` before training stops."""

    min_delta: float = Field(0.0, ge=0.0)
    """Smallest change of the monitored metric that counts as an improvement."""


class TrainerConfig(ConfigSection):
    max_epochs: int = Field(10, ge=1, le=100_000)
    """Passes over the training split."""

    max_steps: int = Field(-1, ge=-1)
    """Stop after this many optimiser steps (-1: no step limit)."""

    max_time_minutes: float | None = Field(None, gt=0.0)
    """Stop after this much training time (wall clock). Empty: no limit."""

    precision: Literal["32", "bf16-mixed", "16-mixed"] = "32"
    """Numeric precision: fp32, or mixed with bf16 / fp16 where the device supports it."""

    gradient_clip_val: float | None = Field(1.0, gt=0.0)
    """Clip the gradient norm to this value. Empty: no clipping."""

    accumulate_grad_batches: int = Field(1, ge=1, le=1024)
    """Micro-batches whose gradients are summed before each optimiser step."""

    seed: int = Field(42, ge=0, le=2**32 - 1)
    """Seed for weights, dropout and data order."""

    monitor: str = "val_loss"
    """Validation metric that picks the best checkpoint and drives early stopping."""

    monitor_mode: Literal["min", "max"] = "min"
    """Whether a lower (`min`) or higher (`max`) `monitor` is better."""

    early_stopping: EarlyStoppingConfig | None = None
    """Stop when `monitor` stops improving. Empty: train for the full budget."""

    log_every_n_steps: int = Field(10, ge=1)
    """Training metrics are logged every this many steps (fewer host syncs, faster steps)."""

    check_val_every_n_epoch: int = Field(1, ge=1)
    """Run validation every this many epochs."""

    val_every_n_steps: int | None = Field(None, ge=1)
    """Validate every this many training batches, counted across epochs (long epochs, e.g.
    a language model's pass over its corpus); replaces `check_val_every_n_epoch`. Empty:
    validate at epoch ends."""

    compile: bool = False
    """Compile the training step's model *and* loss into one graph with `torch.compile`
    (the cross-entropy over a large vocabulary is then fused too), the first step paying
    the compilation. Validation and testing stay eager. Needs a C compiler on CPUs."""

    @field_validator("precision", mode="before")
    @classmethod
    def _precision_as_text(cls, value: Any) -> Any:
        # YAML reads `precision: 32` as an int; accept it, and Lightning's "32-true".
        if value == 32 or value == "32-true":
            return "32"
        return value


class HardwareConfig(ConfigSection):
    accelerator: Literal["auto", "cpu", "gpu", "mps"] = "auto"
    """Device type; `auto` picks a GPU when one is present."""

    devices: int = Field(1, ge=1, le=1024)
    """Devices per node: GPUs, or on a CPU training processes. Above 1, Lightning trains
    with DDP, one process per device."""

    num_nodes: int = Field(1, ge=1, le=1024)
    """Machines the run trains on (DDP across nodes). Above 1 needs a cluster launcher:
    the Slurm executor (`PARETOLAB_EXECUTOR=slurm`) starts one process per device on each."""

    strategy: Literal["auto", "ddp", "fsdp"] = "auto"
    """How the devices share the work: `auto` is one device for one, DDP for more; `ddp`
    asks for DistributedDataParallel (gloo on CPUs, NCCL on GPUs) explicitly; `fsdp`
    shards a pretrained model's weights, gradients and optimiser states across GPUs
    (Lightning's FSDP, one unit and activation checkpointing per Transformer block; full
    fine-tunes only)."""

    num_threads: int | None = Field(None, ge=1, le=1024)
    """CPU threads for torch. Empty: torch's default (all cores)."""

    profile: str = Field("auto", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    """Hardware catalog entry the run is costed on: peak FLOP/s (MFU), power, $/hour
    (`paretolab cost hardware` lists them; add your own in `hardware.yaml` in the paretolab
    home). `auto`: the entry matching the GPU's name, `cpu` on a CPU."""

    pricing: Literal["auto", "on_demand", "spot", "internal"] = "auto"
    """Which of the entry's prices the run's dollars use. `auto`: your internal rate if the
    entry has one, else the first on-demand quote."""

    @field_validator("strategy", mode="before")
    @classmethod
    def _known_strategy(cls, value: Any) -> Any:
        # Lightning's other strategies get a reason, not just "should be 'auto' or 'ddp'".
        if isinstance(value, str) and value in UNSUPPORTED_STRATEGIES:
            raise ValueError(f"{value!r} is not supported: {UNSUPPORTED_STRATEGIES[value]}")
        return value

    @model_validator(mode="after")
    def _ddp_needs_processes(self) -> HardwareConfig:
        if self.strategy == "ddp" and self.world_size() == 1:
            raise ValueError(
                "hardware.strategy=ddp needs more than one process: set hardware.devices or "
                "hardware.num_nodes above 1, or hardware.strategy=auto"
            )
        if self.strategy == "fsdp" and self.accelerator in ("cpu", "mps"):
            raise ValueError(
                f"hardware.strategy=fsdp trains on GPUs (Lightning and torch's FSDP refuse "
                f"a {self.accelerator} device); set hardware.accelerator=gpu, or use ddp"
            )
        if self.accelerator == "mps" and self.world_size() > 1:
            raise ValueError(
                f"hardware.accelerator=mps trains on one device; hardware.devices="
                f"{self.devices} × hardware.num_nodes={self.num_nodes} ask for "
                f"{self.world_size()} (use cpu or gpu)"
            )
        return self

    def world_size(self) -> int:
        """Training processes in all: devices per node × nodes."""
        return self.devices * self.num_nodes


class MonitoringConfig(ConfigSection):
    enabled: bool = True
    """Sample system metrics while training, stored as `system/*` metrics beside the
    training curves: CPU %, process RSS, system memory, disk and network I/O rates, and per
    NVIDIA GPU utilisation, memory, power, temperature and clocks (through NVML); measured
    power is integrated into `system/energy_kwh`. Off: none of these."""

    interval_s: float = Field(5.0, ge=0.1, le=3600.0)
    """Seconds between two samples. Each sample costs a few milliseconds on a background
    thread (`benchmarks/system_metrics.py` measures it against the step time)."""


class GenerateConfig(ConfigSection):
    prompt: str = Field("\n", max_length=2000)
    """Text the sample generations start from (language models)."""

    max_new_tokens: int = Field(200, ge=1, le=10_000)
    """Tokens generated per sample."""

    temperature: float = Field(0.8, ge=0.0, le=10.0)
    """Sampling temperature; 0 is greedy decoding."""

    top_k: int | None = Field(50, ge=1)
    """Sample only among the k most likely tokens. Empty: all tokens."""

    num_samples: int = Field(3, ge=0, le=100)
    """Samples written to `samples.txt` at the end of training (0: none)."""

    num_beams: int = Field(1, ge=1, le=32)
    """`seq2seq`: beam width when decoding the test set (1: greedy). Validation decodes
    greedily, which is fast."""

    length_penalty: float = Field(1.0, ge=0.0, le=5.0)
    """`seq2seq` beam search: beams are ranked by log-probability / length^penalty
    (0: raw log-probability, which favours short outputs)."""


class WandbConfig(ConfigSection):
    mode: Literal["offline", "online", "disabled"] = "offline"
    """W&B logging: `offline` writes files in the run folder (`wandb sync` uploads later)."""

    project: str = Field("paretolab", min_length=1, max_length=128)
    """W&B project name used by `wandb sync`."""

    min_interval_s: float = Field(1.0, ge=0.0, le=3600.0)
    """Each metric goes to W&B at most once in this many seconds (the run store keeps every
    point; the last held one is sent when the run ends). `0`: every point Lightning logs. A
    W&B call costs ~6 ms of the training thread: at a small model's few-ms steps, logging
    every 10 steps spent ~8% of the run on W&B."""
