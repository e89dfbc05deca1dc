"""The task registry: every task a run can learn, in one table. Imports no torch.

A task names its validation metrics, the default metric to monitor, the model families and
built-in datasets that serve it, and the metrics the runs table shows for it. The config's
``task`` and ``data.dataset`` choices, its cross-field checks and the runs table all read
this table; ``lightning_modules.registry`` maps the same names to a LightningModule and a
data module. Adding a task is one ``register_task`` here and one ``register`` there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

# The user's own file serves every task: what it holds decides, checked when it is read.
FILE_DATASET = "file"
# Runs-table figures that belong to no task (what the run cost: lightning_modules.callbacks.cost_tracking).
EXTRA_HEADLINE_METRICS = ("cost/usd",)


@dataclass(frozen=True)
class TaskSpec:
    """One task: what it reports and what serves it."""

    name: str
    """The config's ``task`` value."""
    val_metrics: tuple[str, ...]
    """The metrics it reports on the validation set, in the order the CLI shows them."""
    families: tuple[str, ...]
    """The model families (``model.family``) that can learn it."""
    datasets: tuple[str, ...] = ()
    """The built-in datasets that serve it (``file`` serves every task and is not listed)."""
    headline_metrics: tuple[str, ...] = ()
    """The metrics the runs table shows as columns for it."""
    head: str = "classes"
    """What the model's output layer predicts, for the cost model: ``classes`` (one
    prediction per sequence), ``lm`` (logits at every position) or ``mlm`` (masked positions)."""
    monitor: str = field(default="")
    """The metric to monitor by default; empty: the first of ``val_metrics``."""
    cross_validation: bool = False
    """Whether each example carries one label or value, so k-fold cross-validation applies."""
    text_windows: bool = False
    """Whether a long text may be judged by several windows (``data.eval_windows``)."""

    def test_metric(self) -> str | None:
        """The test metric the runs table shows for this task: its first headline ``test_``
        metric (None: it reports none)."""
        return next((k for k in self.headline_metrics if k.startswith("test_")), None)

    def default_monitor(self) -> str:
        """The metric ``trainer.monitor`` defaults to for this task."""
        return self.monitor or self.val_metrics[0]


TASKS: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> TaskSpec:
    """Add ``spec`` to the registry (its order is the order of the config's choices).

    Raises:
        ValueError: a task of that name is already registered.
    """
    if spec.name in TASKS:
        raise ValueError(f"task {spec.name!r} is already registered")
    TASKS[spec.name] = spec
    return spec


def unregister_task(name: str) -> None:
    """Remove task ``name`` from the registry (tests register throwaway tasks)."""
    TASKS.pop(name, None)


def task_names() -> tuple[str, ...]:
    """Every registered task, in registration order."""
    return tuple(TASKS)


def dataset_tasks() -> dict[str, tuple[str, ...]]:
    """Dataset → the tasks it serves, the first its natural one; ``file`` serves all."""
    return {**_inverted(lambda s: s.datasets), FILE_DATASET: task_names()}


def family_tasks() -> dict[str, tuple[str, ...]]:
    """Model family → the tasks it can learn."""
    return _inverted(lambda s: s.families)


def dataset_names() -> tuple[str, ...]:
    """Every dataset a config may name, ``file`` last."""
    return tuple(dataset_tasks())


def headline_metrics() -> tuple[str, ...]:
    """The runs table's metric columns: every task's headline metrics, once each."""
    keys = [k for spec in TASKS.values() for k in spec.headline_metrics]
    return tuple(dict.fromkeys([*keys, *EXTRA_HEADLINE_METRICS]))


def _inverted(names_of: Callable[[TaskSpec], tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for spec in TASKS.values():
        for name in names_of(spec):
            out[name] = (*out.get(name, ()), spec.name)
    return out


class RegistryView(Mapping[str, tuple[str, ...]]):
    """A read-only mapping recomputed from the registry on each use, so that a task
    registered after import is seen by every caller of the old module-level tables."""

    def __init__(self, build: Callable[[], dict[str, tuple[str, ...]]]):
        self._build = build

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._build()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._build())

    def __repr__(self) -> str:
        return repr(self._build())


_CLASSIFICATION_METRICS = ("val_loss", "val_acc", "val_f1", "val_precision", "val_recall")
_CLASSIFICATION_HEADLINE = ("val_loss", "val_acc", "val_f1", "test_acc", "test_f1")

for _spec in (
    TaskSpec(
        "classification",
        _CLASSIFICATION_METRICS,
        families=("encoder_classifier", "pretrained"),
        datasets=("bbc_news", "zh_reviews"),
        headline_metrics=_CLASSIFICATION_HEADLINE,
        cross_validation=True,
        text_windows=True,
    ),
    TaskSpec(
        "regression",
        ("val_loss", "val_mae", "val_rmse", "val_r2"),
        families=("encoder_classifier", "pretrained"),
        headline_metrics=("val_loss", "test_r2"),
        head="classes",  # one output: a class head of width 1
        cross_validation=True,
    ),
    TaskSpec(
        "masked_lm",
        ("val_loss", "val_ppl", "val_acc"),
        families=("encoder_classifier",),
        datasets=("bbc_news", "zh_reviews"),
        headline_metrics=("val_loss", "val_acc"),
        head="mlm",
    ),
    TaskSpec(
        "language_modeling",
        ("val_loss", "val_ppl", "val_bpc"),
        families=("decoder_lm", "pretrained"),
        datasets=("shakespeare",),
        headline_metrics=("val_loss",),
        head="lm",
    ),
    TaskSpec(
        "seq2seq",
        ("val_loss", "val_token_acc", "val_exact_match", "val_bleu"),
        families=("encoder_decoder", "pretrained"),
        datasets=("num2words", "cmudict", "copy", "reverse", "sort", "addition"),
        headline_metrics=("val_loss", "test_exact_match"),
        head="lm",
    ),
    TaskSpec(
        "image_classification",
        _CLASSIFICATION_METRICS,
        families=("vit", "pretrained"),
        datasets=("digits", "mnist"),
        headline_metrics=_CLASSIFICATION_HEADLINE,
        cross_validation=True,
    ),
):
    register_task(_spec)
