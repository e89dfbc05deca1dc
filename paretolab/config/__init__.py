"""The run config: one typed, validated schema for data, model, optimisation, trainer, hardware.

A config arrives as YAML, a dashboard form or a sweep trial and becomes one ``RunConfig``.
Each field carries a docstring; pydantic keeps it as the field's description, so the same
text is the CLI's help, the dashboard form's help and the JSON schema's documentation.

Unknown keys are errors. Cross-field rules (``n_heads`` divides ``d_model`` …) raise with
a message that names both fields and their values. Reading YAML, ``--set`` overrides and
turning validation errors into one line per field live in ``config.io``; the sections in
``config.data`` (data, cleaning, tokenizer, augmentation), ``config.model`` (with
``config.pretrained``) and ``config.training`` (optimiser, trainer, hardware, monitoring,
generation, W&B). Imports no torch.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from paretolab import limits, tasks
from paretolab.config.base import ConfigSection, TaskName
from paretolab.config.data import AugmentConfig, CleanConfig, DataConfig, TokenizerConfig
from paretolab.config.model import ModelConfig
from paretolab.config.pretrained import HEADED_TASKS, POOLED_TASKS
from paretolab.config.training import (
    UNSUPPORTED_STRATEGIES,
    EarlyStoppingConfig,
    GenerateConfig,
    HardwareConfig,
    MonitoringConfig,
    OptimConfig,
    TrainerConfig,
    WandbConfig,
)

# Old names for the task registry's tables (``paretolab.tasks``), recomputed on each use so
# that a task registered after import is seen: task → val metrics, and the tasks each
# built-in dataset and model family serves (the data registry agrees; a test checks).
TASK_VAL_METRICS = tasks.RegistryView(lambda: {n: s.val_metrics for n, s in tasks.TASKS.items()})
DATASET_TASKS = tasks.RegistryView(tasks.dataset_tasks)
FAMILY_TASKS = tasks.RegistryView(tasks.family_tasks)
# The built-in tasks; `tasks.task_names()` also lists those registered later.
TASKS = tasks.task_names()
# Tasks whose examples carry one label or value each, so k-fold cross-validation applies.
CV_TASKS = tuple(n for n, s in tasks.TASKS.items() if s.cross_validation)


class RunConfig(ConfigSection):
    """Everything needed to reproduce a run; saved whole with every run."""

    name: str | None = Field(None, max_length=limits.MAX_NAME_CHARS)
    """Human name of the run. Empty: made from the task and model."""

    task: TaskName = "classification"
    """What the model learns: `classification` one label per text; `regression` one number
    per text (MSE); `masked_lm` to restore masked tokens (encoder pretraining);
    `language_modeling` the next token; `seq2seq` a target sequence from a source
    sequence (translation); `image_classification` one label per image."""

    tags: list[str] = Field(default_factory=list)
    """Free-form labels for filtering runs (at most 64, each at most 128 characters)."""

    notes: str = Field("", max_length=limits.MAX_NOTES_CHARS)
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

    @field_validator("tags")
    @classmethod
    def _tags_within_limits(cls, tags: list[str]) -> list[str]:
        problem = limits.tags_problem(tags)
        if problem:
            raise ValueError(problem)
        return tags

    @model_validator(mode="after")
    def _cross_section_rules(self) -> RunConfig:
        for field, value, serves in (
            ("data.dataset", self.data.dataset, DATASET_TASKS),
            ("model.family", self.model.family, FAMILY_TASKS),
        ):
            if self.task not in serves.get(value, ()):
                fits = [k for k, t in serves.items() if self.task in t and k != "file"]
                raise ValueError(
                    f"{field}={value!r} serves task {' or '.join(map(repr, serves[value]))}, "
                    f"not task={self.task!r}; for {self.task!r} choose {' or '.join(fits)}"
                )
        spec = tasks.TASKS[self.task]
        if "monitor" not in self.trainer.model_fields_set:
            self.trainer.monitor = spec.default_monitor()
        if self.trainer.monitor not in spec.val_metrics:
            raise ValueError(
                f"trainer.monitor={self.trainer.monitor!r} is not a metric of task "
                f"{self.task!r}; choose one of {', '.join(spec.val_metrics)}"
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
        if self.model.is_pretrained() and self.tokenizer != TokenizerConfig():
            raise ValueError(
                f"the tokenizer section does not apply to a pretrained model: "
                f"{self.model.pretrained} brings its own tokenizer; remove the tokenizer section"
            )
        if self.hardware.strategy == "fsdp":
            self._check_fsdp()
        self._check_pretrained_head()
        window_tasks = [n for n, spec in tasks.TASKS.items() if spec.text_windows]
        if self.data.eval_windows > 1 and self.task not in window_tasks:
            raise ValueError(
                f"data.eval_windows applies to task {' or '.join(window_tasks)}, not "
                f"{self.task!r}; remove data.eval_windows"
            )
        cv_tasks = [n for n, spec in tasks.TASKS.items() if spec.cross_validation]
        if self.data.cv_folds and self.task not in cv_tasks:
            raise ValueError(
                f"data.cv_folds applies to tasks {', '.join(cv_tasks)}, not {self.task!r}; "
                "remove data.cv_folds"
            )
        return self

    def _check_pretrained_head(self) -> None:
        m = self.model
        if m.is_pretrained() and m.pooling == "cls" and self.task not in POOLED_TASKS:
            raise ValueError(
                f"model.pooling=cls applies to pretrained {' and '.join(POOLED_TASKS)}; "
                f"task {self.task!r} uses its model's own head: remove model.pooling"
            )
        if self.optim.head_lr is None:
            return
        if not m.is_pretrained():
            raise ValueError(
                "optim.head_lr is the learning rate of the head added on a pretrained model "
                "(model.pretrained); a model trained from scratch learns at optim.lr: remove "
                "optim.head_lr"
            )
        if self.task not in HEADED_TASKS:
            raise ValueError(
                f"optim.head_lr is the learning rate of the head added for "
                f"{', '.join(HEADED_TASKS)}; task {self.task!r} trains the model's own "
                "output layer: remove optim.head_lr"
            )
        if self.optim.optimizer == "muon":
            raise ValueError(
                "optim.head_lr applies to adamw, adam, rmsprop and sgd, not muon; remove "
                "optim.head_lr or choose another optimizer"
            )

    def _check_fsdp(self) -> None:
        # FSDP wraps each block class a Hugging Face model names (_no_split_modules); our
        # own models are small enough for DDP.
        if not self.model.is_pretrained():
            raise ValueError(
                f"hardware.strategy=fsdp shards pretrained models (model.family=pretrained); "
                f"model.family={self.model.family!r} fits one device: use ddp"
            )
        if self.model.finetune == "lora":
            # FSDP keeps a unit whose weights are all frozen (LoRA's embeddings and head)
            # out of the backward pass, and its state dict then loses them (torch 2.13).
            raise ValueError(
                "hardware.strategy=fsdp fine-tunes in full; a LoRA run trains adapters over "
                "frozen weights that fit one GPU in bf16: use ddp, or model.finetune=full"
            )
        if self.optim.optimizer == "muon":
            # FSDP hands the optimiser flat 1-D shards: Muon would find no matrix to
            # orthogonalise and skip them silently, without weight decay.
            raise ValueError(
                "optim.optimizer=muon is not supported with hardware.strategy=fsdp (FSDP "
                "hands the optimiser 1-D shards, which Muon cannot orthogonalise); use adamw, "
                "or ddp"
            )
        if self.trainer.compile:
            raise ValueError(
                "trainer.compile is not supported with hardware.strategy=fsdp (FSDP's hooks "
                "break the compiled graph); set trainer.compile=false or use ddp"
            )

    def display_name(self) -> str:
        """The run's name, or one made from its task and model."""
        if self.name:
            return self.name
        m = self.model
        if m.is_pretrained():
            return f"{self.data.dataset}-{m.pretrained.rstrip('/').split('/')[-1]}-{m.finetune}"
        return f"{self.data.dataset}-{m.family}-L{m.n_layers}-d{m.d_model}"


__all__ = [
    "CV_TASKS",
    "DATASET_TASKS",
    "FAMILY_TASKS",
    "TASKS",
    "TASK_VAL_METRICS",
    "UNSUPPORTED_STRATEGIES",
    "AugmentConfig",
    "CleanConfig",
    "DataConfig",
    "EarlyStoppingConfig",
    "GenerateConfig",
    "HardwareConfig",
    "ModelConfig",
    "MonitoringConfig",
    "OptimConfig",
    "RunConfig",
    "TokenizerConfig",
    "TrainerConfig",
    "WandbConfig",
]
