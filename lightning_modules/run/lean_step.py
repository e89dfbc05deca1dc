"""Lightning's automatic-optimisation step without its closure plumbing, where nothing needs it.

Lightning's automatic optimisation hands the optimiser a closure — training step, zero_grad,
backward — because an optimiser such as LBFGS re-evaluates the loss inside ``step``. Every
step then passes through ``optimizer_step`` (a module hook), ``LightningOptimizer.step``,
``Strategy.optimizer_step``, ``Precision.optimizer_step``, a ``functools.partial``, the
precision plugin's ``_wrap_closure``, three closures built anew and a ``Closure`` object: at
the few-millisecond steps of a small model, that plumbing is a visible share of the step
(``benchmarks/overhead_calls.py``).

``LeanOptimization`` runs the same hooks, in the same order, with the same progress counters
(``global_step`` and resuming read them), calling the optimiser's plain ``step()`` after the
closure's work instead of from inside it — when the step is one Lightning would run that way
for every optimiser but LBFGS-like ones: one device, no gradient accumulation, no gradient
scaler, a module that keeps Lightning's ``optimizer_step``. Otherwise it is Lightning's own
step (``_AutomaticOptimization.run``), unchanged.

Lightning's loops are not a public extension point, so ``install`` checks the attributes it
replaces and leaves the Trainer as it is (with a warning) on a Lightning it does not know;
``tests/lightning_modules/test_lean_step.py`` trains the same steps both ways and compares
the weights.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.loops.optimization.automatic import _AutomaticOptimization
from lightning.pytorch.plugins.precision import HalfPrecision, MixedPrecision, Precision
from lightning.pytorch.profilers import PassThroughProfiler
from lightning.pytorch.strategies import SingleDeviceStrategy
from lightning.pytorch.utilities.signature_utils import is_param_in_hook_signature

log = logging.getLogger(__name__)

# Precision plugins whose optimizer_step, pre_backward, backward and post_backward are
# Precision's (MixedPrecision: without a scaler, which is checked too).
_PLAIN_PRECISIONS = (Precision, MixedPrecision, HalfPrecision)
# The callback hooks among the step's; the others are the module's alone.
_CALLBACK_HOOKS = frozenset(
    ("on_before_zero_grad", "on_before_backward", "on_after_backward", "on_before_optimizer_step")
)


class _StepHooks:
    """The callbacks' and the module's step hooks that do something, found once per fit.

    Lightning's ``_call_callback_hooks`` looks up every hook on every callback at every call,
    and formats a profiler label for each; the skipped no-ops (``lean_loop``) are ``None``
    and stay out of these lists. Each call still names the hook in the module's
    ``_current_fx_name``, as Lightning does (``self.log`` checks it).
    """

    def __init__(self, trainer: pl.Trainer) -> None:
        self.trainer, self.module = trainer, trainer.lightning_module
        self._callbacks = {
            hook: [fn for cb in trainer.callbacks if callable(fn := getattr(cb, hook, None))]
            for hook in _CALLBACK_HOOKS
        }

    def call(self, hook: str, *args: Any, **kwargs: Any) -> None:
        module = self.module
        previous = module._current_fx_name
        module._current_fx_name = hook
        for fn in self._callbacks.get(hook, ()):
            fn(self.trainer, module, *args, **kwargs)
        fn = getattr(module, hook)
        if callable(fn):
            fn(*args, **kwargs)
        module._current_fx_name = previous


class LeanOptimization(_AutomaticOptimization):
    """Lightning's automatic optimisation, minus the closure plumbing where it is not needed."""

    def run(self, optimizer: torch.optim.Optimizer, batch_idx: int, kwargs: OrderedDict) -> dict:
        """One training batch: training step, zero_grad, backward, clipping, optimiser step."""
        trainer = self.trainer
        if not self._is_plain_step(trainer, optimizer):
            return super().run(optimizer, batch_idx, kwargs)
        hooks = self._step_hooks(trainer)
        progress = self.optim_progress.optimizer
        progress.step.increment_ready()
        with torch.enable_grad():  # as Lightning's Closure: the loop may run under no_grad
            result = self._training_step(kwargs)
            if result.closure_loss is None and not getattr(self, "_warned_none", False):
                self._warned_none = True  # once, as Lightning's own warning cache does
                log.warning("`training_step` returned `None`: such a batch trains nothing")
            progress.zero_grad.increment_ready()
            hooks.call("on_before_zero_grad", optimizer)
            progress.zero_grad.increment_started()
            hooks.call("optimizer_zero_grad", trainer.current_epoch, batch_idx, optimizer)
            progress.zero_grad.increment_completed()
            if result.closure_loss is not None:
                # Strategy.backward on one device, with Precision's (no scaler) pre and post.
                hooks.call("on_before_backward", result.closure_loss)
                hooks.call("backward", result.closure_loss)
                hooks.call("on_after_backward")
        # Precision._after_closure: on_before_optimizer_step, then gradient clipping.
        hooks.call("on_before_optimizer_step", optimizer)
        hooks.call(
            "configure_gradient_clipping",
            optimizer,
            gradient_clip_val=trainer.gradient_clip_val,
            gradient_clip_algorithm=trainer.gradient_clip_algorithm,
        )
        optimizer.step()
        progress.step.increment_completed()
        return {} if result.loss is None else result.asdict()

    def _step_hooks(self, trainer: pl.Trainer) -> _StepHooks:
        key = (trainer.lightning_module, id(trainer.callbacks), len(trainer.callbacks))
        if getattr(self, "_hooks_key", None) != key:
            self._hooks, self._hooks_key = _StepHooks(trainer), key
        return self._hooks

    def _is_plain_step(self, trainer: pl.Trainer, optimizer: torch.optim.Optimizer) -> bool:
        strategy = trainer.strategy
        precision = strategy.precision_plugin
        return (
            type(strategy) is SingleDeviceStrategy
            and isinstance(trainer.profiler, PassThroughProfiler)  # a real one sees every hook
            and type(precision) in _PLAIN_PRECISIONS
            and getattr(precision, "scaler", None) is None
            and trainer.accumulate_grad_batches == 1
            and not self._skip_backward
            and not isinstance(optimizer, torch.optim.LBFGS)
            and type(trainer.lightning_module).optimizer_step is pl.LightningModule.optimizer_step
        )


def install(trainer: pl.Trainer) -> bool:
    """Give a freshly built Trainer the lean step and a ``training_step`` signature read once
    rather than at every batch. Returns whether it did (False: an unknown Lightning)."""
    epoch_loop = getattr(trainer.fit_loop, "epoch_loop", None)
    current = getattr(epoch_loop, "automatic_optimization", None)
    if type(current) is not _AutomaticOptimization or not hasattr(epoch_loop, "_build_kwargs"):
        log.warning("this Lightning's training loop is not the one lean_step knows: left as is")
        return False
    epoch_loop.automatic_optimization = LeanOptimization(trainer)
    epoch_loop._build_kwargs = _StepKwargs(trainer)
    return True


class _StepKwargs:
    """The epoch loop's ``_build_kwargs``: whether ``training_step`` takes ``batch_idx``,
    read from its signature once per function rather than with ``inspect`` at every batch."""

    def __init__(self, trainer: pl.Trainer) -> None:
        self.trainer = trainer
        self._known: tuple[Any, bool] | None = None  # (the function, takes batch_idx)

    def __call__(self, kwargs: OrderedDict, batch: Any, batch_idx: int) -> OrderedDict:
        kwargs["batch"] = batch
        step = self.trainer.lightning_module.training_step
        function = getattr(step, "__func__", step)  # a bound method is a new object each time
        if self._known is None or self._known[0] is not function:
            self._known = (function, is_param_in_hook_signature(step, "batch_idx", min_args=2))
        if self._known[1]:
            kwargs["batch_idx"] = batch_idx
        return kwargs
