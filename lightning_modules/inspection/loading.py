"""A run and one of its checkpoints → the trained model, its tokenizers and its family.

Nothing is trained or written here: the task is rebuilt from the hyper-parameters every
checkpoint carries and the weights are read with ``weights_only`` (no pickled code runs).
"""

from __future__ import annotations

import pickle
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from tokenizers import Tokenizer

from lightning_modules.data.tokenization import (
    TARGET_TOKENIZER_FILE,
    TOKENIZER_FILE,
    load_tokenizer,
)
from lightning_modules.run.cross_validation import fold_dir
from lightning_modules.run.init_from import find_checkpoint, read_checkpoint
from lightning_modules.tasks import OptimizedTask, restore_task
from paretolab import settings
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from paretolab.limits import clip
from paretolab.store import RunStore

CHECKPOINTS = ("best", "last")


@dataclass
class LoadedRun:
    """A run's trained model, ready for inspection (CPU, eval mode)."""

    run_id: int
    checkpoint: str
    """``best`` or ``last``."""
    checkpoint_path: Path
    step: int
    """The training step the checkpoint was saved at."""
    config: RunConfig
    task: OptimizedTask
    work_dir: Path
    """The folder the checkpoint and tokenizers came from (the run's, or a fold's)."""
    fold: int | None
    tokenizer: Tokenizer | None
    """The run's tokenizer (seq2seq: the source side); None for images."""
    target_tokenizer: Tokenizer | None = None
    """seq2seq only: the target side's tokenizer."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Held while the model runs: extraction hooks the model's modules, so two threads (two
    dashboard sessions sharing the loaded run) must take turns."""

    @property
    def family(self) -> str:
        """``encoder_classifier``, ``decoder_lm``, ``encoder_decoder``, ``vit`` or
        ``pretrained``."""
        return self.config.model.family

    @property
    def reads_images(self) -> bool:
        """Whether the model reads pixels (a ViT, or a pretrained image classifier)."""
        return self.config.task == "image_classification"

    @property
    def task_name(self) -> str:
        """The run's task (``classification``, ``seq2seq``…)."""
        return self.config.task

    @property
    def model(self):
        """The network inside the task (``EncoderClassifier``, ``DecoderLM``…; a pretrained
        run's transformers model, a ``PeftModel`` for LoRA)."""
        return self.task.model

    def describe(self) -> str:
        """``run 3, best checkpoint (step 120)`` (and the fold, for cross-validated runs)."""
        fold = f", fold {self.fold}" if self.fold is not None else ""
        return f"run {self.run_id}{fold}, {self.checkpoint} checkpoint (step {self.step})"


def load_run(
    run_id: int, checkpoint: str = "best", store: RunStore | None = None, fold: int | None = None
) -> LoadedRun:
    """Load run ``run_id``'s ``best`` or ``last`` checkpoint with its tokenizers.

    Any run whose folder holds the checkpoint can be inspected, finished or not (a running
    run's ``last`` checkpoint shows the model as it is now).

    Args:
        fold: a cross-validated run's fold (default 0); must be None for other runs.

    Raises:
        UserError: no such run, no such checkpoint or fold, or a tokenizer file is missing.
    """
    if checkpoint not in CHECKPOINTS:
        raise UserError(f"checkpoint must be best or last, not {checkpoint!r}")
    run = (store or RunStore()).get_run(run_id)
    config = parse_config(run.config)
    fold = _checked_fold(run_id, config, fold)
    folder = settings.run_dir(run_id)
    work_dir = folder if fold is None else fold_dir(folder, fold)
    path = find_checkpoint(work_dir, run_id, checkpoint, "", "--checkpoint")
    saved = _read_safely(path)
    task = _restored(_with_migrated_fields(saved, run.config), path)
    loaded = LoadedRun(
        run_id=run_id,
        checkpoint=checkpoint,
        checkpoint_path=path,
        step=int(saved.get("global_step", 0)),
        config=config,
        task=task,
        work_dir=work_dir,
        fold=fold,
        tokenizer=None
        if config.task == "image_classification"
        else _tokenizer(work_dir, TOKENIZER_FILE),
    )
    if config.task == "seq2seq":
        loaded.target_tokenizer = _tokenizer(work_dir, TARGET_TOKENIZER_FILE)
        task.source_tokenizer, task.target_tokenizer = loaded.tokenizer, loaded.target_tokenizer
    return loaded


def available_checkpoints(run_id: int, fold: int | None = None) -> list[str]:
    """Which of ``best`` and ``last`` the run's folder (or fold 0's, when cross-validated and
    ``fold`` is None) holds."""
    folder = settings.run_dir(run_id)
    if fold is None and (folder / "folds").is_dir():
        fold = 0
    work_dir = folder if fold is None else fold_dir(folder, fold)
    return [c for c in CHECKPOINTS if (work_dir / "checkpoints" / f"{c}.ckpt").is_file()]


def _checked_fold(run_id: int, config: RunConfig, fold: int | None) -> int | None:
    folds = config.data.cv_folds
    if not folds:
        if fold is not None:
            raise UserError(f"run {run_id} is not cross-validated; leave out the fold")
        return None
    fold = 0 if fold is None else fold
    if not 0 <= fold < folds:
        raise UserError(f"run {run_id} has folds 0–{folds - 1}; fold {fold} does not exist")
    return fold


def _read_safely(path: Path) -> dict:
    """The checkpoint read with ``weights_only``; a file that needs more (pickled code, a
    crafted file) or is no checkpoint at all is refused in one line, never a traceback."""
    try:
        with warnings.catch_warnings():  # torch warns about odd pickle protocols on stderr
            warnings.simplefilter("ignore")
            return read_checkpoint(path)
    except pickle.UnpicklingError as exc:
        raise UserError(
            f"{path}: refused to load it: {_unpickling_reason(exc)}; checkpoints load with "
            "weights_only (tensors and plain values), so this file was not written by "
            "paretolab's training: delete it, or train the run again"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        reason = clip(" ".join(str(exc).split()), 200) or type(exc).__name__
        raise UserError(
            f"{path} could not be read as a checkpoint ({reason}); was it cut short? "
            "delete it, or train the run again"
        ) from None


def _unpickling_reason(exc: pickle.UnpicklingError) -> str:
    """The line of torch's long message that says what was refused, e.g. ``Trying to load
    unsupported GLOBAL posix.system whose module posix is blocked``."""
    boilerplate = ("Weights only load failed", "Please file an issue", "Check the documentation")
    lines = [line.strip() for line in str(exc).splitlines()]
    found = [line for line in lines if line and not line.startswith(boilerplate)]
    return clip(found[0].rstrip("."), 200) if found else "it holds more than tensors"


# Config fields a store migration may rewrite after the checkpoint was saved: the store's
# value is how the run really trained (0017: pretrained classifiers stored before
# ``model.pooling`` applied to them say ``cls``, while their checkpoints say the old default).
MIGRATED_FIELDS = (("model", "pooling"),)


def _with_migrated_fields(saved: object, stored: dict) -> object:
    """``saved`` with the store's value of each ``MIGRATED_FIELDS`` in its config."""
    try:
        config = saved["hyper_parameters"]["config"]  # type: ignore[index]
    except (TypeError, KeyError):
        return saved  # not a paretolab checkpoint: _restored says so
    fixed = dict(config)
    for section, key in MIGRATED_FIELDS:
        value = stored.get(section, {}).get(key)
        if value is not None and fixed.get(section, {}).get(key) != value:
            fixed[section] = {**fixed[section], key: value}
    hparams = {**saved["hyper_parameters"], "config": fixed}  # type: ignore[index]
    return {**saved, "hyper_parameters": hparams}  # type: ignore[dict-item]


def _restored(saved: object, path: Path) -> OptimizedTask:
    """The task in a safely read checkpoint; one line when the file holds no paretolab task."""
    if not isinstance(saved, dict) or not {"hyper_parameters", "state_dict"} <= saved.keys():
        raise UserError(
            f"{path} is not a paretolab checkpoint (it has no hyper_parameters and state_dict); "
            "delete it, or train the run again"
        )
    return restore_task(saved)


def _tokenizer(work_dir: Path, name: str) -> Tokenizer:
    path = work_dir / name
    if not path.is_file():
        raise UserError(
            f"{path} is missing: the run's tokenizer is needed to read its inputs; "
            "was the run folder cleaned up?"
        )
    return load_tokenizer(path)
