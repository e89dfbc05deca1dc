"""The run config's model and training sections: architecture, optimiser, trainer budget,
hardware, monitoring, generation and W&B (assembled into ``RunConfig`` in
``paretolab.config``). Imports no torch."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from paretolab.config.base import ConfigSection
from paretolab.config.pretrained import PRETRAINED_FAMILY, PretrainedFields, shape_fields_set

# Lightning strategies a run config cannot choose, and why.
UNSUPPORTED_STRATEGIES: dict[str, str] = {
    **dict.fromkeys(
        ("ddp_spawn", "ddp_fork", "ddp_notebook"),
        "a run's side effects (store, checkpoints) live in processes Lightning's script "
        "launcher or srun starts; use ddp",
    ),
    **dict.fromkeys(
        ("fsdp", "deepspeed"),
        "paretolab's models fit one device; shard them with your own code, or use ddp",
    ),
    "dp": "Lightning 2 removed DataParallel; use ddp",
}


class ModelConfig(PretrainedFields):
    family: Literal["encoder_classifier", "decoder_lm", "encoder_decoder", "vit", "pretrained"] = (
        "encoder_classifier"
    )
    """Model family: `encoder_classifier` is a pre-LN Transformer encoder with a task head
    (classes, a regression value, or masked tokens); `decoder_lm` a causal decoder-only
    language model (GPT-style); `encoder_decoder` an encoder plus a causal decoder with
    cross-attention (seq2seq); `vit` a Vision Transformer (patch embedding, [CLS] token);
    `pretrained` a Hugging Face checkpoint named by `pretrained` (set for you when it is)."""

    n_decoder_layers: int | None = Field(None, ge=1, le=128)
    """`encoder_decoder`: decoder blocks. Empty: `n_layers`."""

    init_from: int | None = Field(None, ge=1)
    """Start from the weights of run N (e.g. a `masked_lm` pretraining run): its tokenizer
    and every weight whose name and shape fit are loaded; the task head starts fresh. The
    `tokenizer` section is then ignored (run N's vocabulary is used). Empty: random
    initialisation."""

    init_checkpoint: Literal["best", "last"] = "best"
    """`init_from`: which checkpoint of that run to load."""

    patch_size: int = Field(4, ge=1, le=64)
    """`vit`: side of the square image patches; must divide the image size."""

    tie_weights: bool = True
    """`decoder_lm`, `encoder_decoder`, `masked_lm`: share the token embedding with the
    output layer (standard for language models)."""

    d_model: int = Field(128, ge=8, le=16384)
    """Width of token embeddings and of every block's residual stream."""

    n_layers: int = Field(2, ge=1, le=128)
    """Number of Transformer blocks."""

    n_heads: int = Field(4, ge=1, le=256)
    """Attention heads per block; must divide `d_model`."""

    d_ff: int | None = Field(None, ge=1, le=131072)
    """Hidden width of the feed-forward layer. Empty: 4 × `d_model`."""

    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    """Dropout on embeddings, attention output and feed-forward output."""

    attention_dropout: float = Field(0.0, ge=0.0, lt=1.0)
    """Dropout on attention probabilities."""

    positional: Literal["learned", "sinusoidal", "rope"] = "learned"
    """Position encoding: a learned or sinusoidal table added to token embeddings, or rotary
    position embeddings (`rope`: queries and keys of self-attention rotated by position; not
    for `vit`, whose patches sit on a 2-D grid)."""

    pooling: Literal["mean", "cls"] = "mean"
    """How the sequence becomes one vector for the head: mean over tokens, or a [CLS] token.
    A `vit` pools its [CLS] token unless `pooling: mean` is written (then: mean over patches)."""

    def ff_dim(self) -> int:
        """The feed-forward hidden width actually used."""
        return self.d_ff if self.d_ff is not None else 4 * self.d_model

    def decoder_layers(self) -> int:
        """Decoder blocks of an `encoder_decoder` model."""
        return self.n_decoder_layers if self.n_decoder_layers is not None else self.n_layers

    def is_pretrained(self) -> bool:
        """Whether this model is a Hugging Face checkpoint (``pretrained``) to fine-tune."""
        return self.family == PRETRAINED_FAMILY

    @model_validator(mode="before")
    @classmethod
    def _family_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # A ViT always had a [CLS] token and pooled it: keep that the default for the family.
        if data.get("family") == "vit" and "pooling" not in data:
            return {**data, "pooling": "cls"}
        # Naming a checkpoint is choosing the pretrained family.
        if data.get("pretrained") and "family" not in data:
            return {**data, "family": PRETRAINED_FAMILY}
        return data

    @model_validator(mode="after")
    def _pretrained_fields_fit_the_family(self) -> ModelConfig:
        if self.is_pretrained() != (self.pretrained is not None):
            raise ValueError(
                "model.family=pretrained needs model.pretrained (a model folder or hub id)"
                if self.pretrained is None
                else f"model.pretrained is read by family pretrained, not {self.family!r}; "
                "remove model.family (or set it to pretrained)"
            )
        if not self.is_pretrained():
            fields = ("finetune", "freeze_layers", "revision", "trust_remote_code")
            changed = [f for f in fields if getattr(self, f) != type(self).model_fields[f].default]
            if changed:
                raise ValueError(
                    f"model.{changed[0]} applies to a pretrained model only; set "
                    "model.pretrained, or remove it"
                )
            return self
        changed = shape_fields_set(self)
        if changed:
            raise ValueError(
                f"model.{changed[0]} does not apply to a pretrained model: its shape comes "
                f"from {self.pretrained}'s config.json; remove it"
            )
        if self.freeze_layers and self.finetune != "freeze":
            raise ValueError(
                f"model.freeze_layers={self.freeze_layers} applies with model.finetune=freeze, "
                f"not {self.finetune!r}; set finetune: freeze, or remove freeze_layers"
            )
        return self

    @model_validator(mode="after")
    def _heads_divide_width(self) -> ModelConfig:
        if self.d_model % self.n_heads:
            raise ValueError(
                f"model.n_heads={self.n_heads} must divide model.d_model={self.d_model} "
                f"(try n_heads in {_divisors(self.d_model)})"
            )
        if self.positional == "rope" and self.family == "vit":
            raise ValueError(
                "model.positional=rope is for token sequences; a vit's patches sit on a 2-D "
                "grid: use learned or sinusoidal"
            )
        if self.positional == "rope" and (self.d_model // self.n_heads) % 2:
            raise ValueError(
                f"model.positional=rope needs an even head width, but d_model/n_heads = "
                f"{self.d_model}/{self.n_heads} is odd: change n_heads or d_model"
            )
        return self

    # Costing terms (issue 21): today's architectures, for `paretolab cost estimate` and the
    # Launch page's cost preview. The from-scratch models train the defaults only; a run
    # that sets another value is refused at admission (`training_refusal`).
    ffn: Literal["mlp", "swiglu", "geglu"] = "mlp"
    """Costing term. Feed-forward kind: `mlp` (two matrices) or a gated one, `swiglu`
    (Llama, Mistral, Qwen) or `geglu` (Gemma), with three matrices."""

    n_kv_heads: int | None = Field(None, ge=1, le=256)
    """Costing term. Key/value heads (grouped-query attention; 1: multi-query); must divide
    `n_heads`. Empty: `n_heads`."""

    num_experts: int = Field(0, ge=0, le=1024)
    """Costing term. Mixture of experts: routed experts per MoE layer (0: a dense model)."""

    experts_per_token: int = Field(0, ge=0, le=1024)
    """Costing term. Mixture of experts: routed experts each token goes through (top-k);
    between 1 and `num_experts`."""

    shared_experts: int = Field(0, ge=0, le=64)
    """Costing term. Mixture of experts: experts every token goes through (DeepSeek)."""

    dense_layers_first: int = Field(0, ge=0, le=128)
    """Costing term. Mixture of experts: the first layers keep a dense feed-forward."""

    expert_d_ff: int | None = Field(None, ge=1, le=131072)
    """Costing term. Mixture of experts: one expert's hidden width. Empty: the `d_ff` used."""

    @model_validator(mode="after")
    def _costing_terms_agree(self) -> ModelConfig:
        if self.n_kv_heads is not None and self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"model.n_kv_heads={self.n_kv_heads} must divide model.n_heads={self.n_heads}"
            )
        if self.num_experts and not 1 <= self.experts_per_token <= self.num_experts:
            raise ValueError(
                f"model.experts_per_token={self.experts_per_token} must be between 1 and "
                f"model.num_experts={self.num_experts}"
            )
        return self

    def training_refusal(self) -> str | None:
        """Why the from-scratch models cannot train this config's costing terms (None: they
        can): one line naming the first term set away from its default."""
        defaults = {"ffn": "mlp", "n_kv_heads": None, "num_experts": 0}
        for name, default in defaults.items():
            value = getattr(self, name)
            if value != default and not (name == "n_kv_heads" and value == self.n_heads):
                return (
                    f"model.{name}={value} is a costing term; the from-scratch models train "
                    "mlp feed-forwards with full multi-head attention and no experts only: "
                    "remove it to train, or price it with `paretolab cost estimate`"
                )
        return None


class OptimConfig(ConfigSection):
    optimizer: Literal["adamw", "adam", "rmsprop", "sgd", "muon"] = "adamw"
    """Optimiser. `sgd` uses `momentum` (Nesterov off); `rmsprop` uses it too. `muon`:
    Muon (orthogonalised momentum, Nesterov, momentum 0.95) on the Transformer blocks'
    matrices and AdamW (`betas`, `eps`) on embeddings, heads, biases and norms, at AdamW's
    learning-rate scale."""

    lr: float = Field(1e-3, gt=0.0, le=10.0)
    """Peak learning rate (reached after warm-up)."""

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

    strategy: Literal["auto", "ddp"] = "auto"
    """How the devices share the work: `auto` is one device for one, DDP for more; `ddp`
    asks for DistributedDataParallel (gloo on CPUs, NCCL on GPUs) explicitly."""

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


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, min(n, 64) + 1) if n % d == 0]
