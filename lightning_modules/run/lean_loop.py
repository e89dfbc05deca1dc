"""Lightning's training loop without the per-step work that nothing asked for.

At the few-millisecond steps of a small model, Lightning's own dispatch cost more than
paretolab's callbacks (``benchmarks/overhead_calls.py`` counts Python calls per step):

- Every hook of every callback is called on every step — ``on_train_batch_start``,
  ``on_before_backward``, … — each wrapped in ``trainer.profiler.profile(name)``, with the
  callback's ``state_key`` formatted into the name, though most callbacks implement two or
  three of them. Lightning skips a hook whose attribute is not callable
  (``trainer/call.py``: ``if callable(fn)``), so ``skip_unused_step_hooks`` sets the
  per-batch hooks a callback does not override to ``None`` on that instance.
- The LightningModule's per-batch hooks are dispatched the same way (``callable(fn)`` too),
  each also setting ``_current_fx_name`` twice through ``nn.Module.__setattr__``:
  ``SkipModuleNoOpHooks`` does the same for the training hooks of the module being fitted,
  at ``setup`` (its validation and test batch hooks stay: Lightning reads their signatures).
- The default ``PassThroughProfiler`` records nothing, but its ``profile`` is a
  ``@contextmanager`` generator calling ``start`` and ``stop``: about seven Python calls a
  hook. ``NoProfiler`` returns one shared ``nullcontext``: the same nothing in three.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.profilers import PassThroughProfiler

# The hooks Lightning calls on every batch. Only these are skipped: Lightning calls some
# other hooks directly (e.g. on_save_checkpoint), which needs them callable.
TRAIN_STEP_HOOKS = (
    "on_train_batch_start",
    "on_train_batch_end",
    "on_before_backward",
    "on_after_backward",
    "on_before_optimizer_step",
    "on_before_zero_grad",
)
STEP_HOOKS = (
    *TRAIN_STEP_HOOKS,
    "on_validation_batch_start",
    "on_validation_batch_end",
    "on_test_batch_start",
    "on_test_batch_end",
    "on_predict_batch_start",
    "on_predict_batch_end",
)
_NOTHING = nullcontext()


class NoProfiler(PassThroughProfiler):
    """Records nothing, as Lightning's default, at the cost of a plain function call."""

    def profile(self, action_name: str) -> AbstractContextManager[None]:  # type: ignore[override]
        return _NOTHING


def skip_unused_step_hooks(callbacks: Iterable[Callback]) -> None:
    """Make Lightning skip each callback's per-batch hooks that are ``Callback``'s no-ops,
    and an idle ``ModelCheckpoint``'s per-batch check (``skip_idle_checkpoint_check``)."""
    for callback in callbacks:
        _skip_no_ops(callback, Callback)
        if isinstance(callback, ModelCheckpoint):
            skip_idle_checkpoint_check(callback)


def skip_idle_checkpoint_check(checkpoint: ModelCheckpoint) -> None:
    """Skip ``ModelCheckpoint.on_train_batch_end`` where it can only return: it saves every N
    training steps or every T seconds, and with neither set (paretolab's checkpoints are
    saved after validation and at the end) it still reads the trainer's state every step."""
    if checkpoint._every_n_train_steps < 1 and checkpoint._train_time_interval is None:
        checkpoint.on_train_batch_end = None


class SkipModuleNoOpHooks(Callback):
    """At ``setup``, makes Lightning skip the fitted module's per-batch hooks that are
    ``LightningModule``'s no-ops (the module is not known when the Trainer is built)."""

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        # Training hooks only: the evaluation loops read the signatures of the module's
        # validation and test batch hooks (``_verify_dataloader_idx_requirement``).
        _skip_no_ops(pl_module, pl.LightningModule, TRAIN_STEP_HOOKS)


def _skip_no_ops(obj: object, base: type, hooks: tuple[str, ...] = STEP_HOOKS) -> None:
    for hook in hooks:
        if getattr(type(obj), hook, None) is getattr(base, hook, None) is not None:
            setattr(obj, hook, None)
