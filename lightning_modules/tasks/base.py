"""What every task shares: the optimiser and learning-rate schedule from the config, and the
training loss, compiled with the model when ``trainer.compile`` asks."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch

from lightning_modules.optim import build_optimizer, build_scheduler
from lightning_modules.sharded import clip_sharded_gradients, is_sharded


class OptimizedTask(pl.LightningModule):
    """A LightningModule whose ``self.model`` is trained with ``self.config.optim``."""

    # Whether every training batch has one shape (language modelling's fixed windows): the
    # compiled step is then specialised to it (dynamic=False), as benchmarks/gpu.py does.
    # Padded batches vary in length, and torch's automatic dynamic shapes compile a
    # length-generic graph at the first change instead of one graph per length.
    fixed_shapes = False

    def __setattr__(self, name: str, value: Any) -> None:
        # Lightning sets ``_current_fx_name`` before and after every hook it calls, ~34 times
        # a training step; ``nn.Module.__setattr__`` first checks each value against the
        # parameters, buffers and submodules (three isinstance checks through torch's
        # metaclasses). A hook's name is none of them.
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def loss_of(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The training loss of a batch, from the batch to the scalar (what is compiled)."""
        raise NotImplementedError

    def training_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """``loss_of(batch)``, compiled on first use when ``trainer.compile`` is on.

        The model is compiled *together with* the loss, not alone: the cross-entropy over a
        large vocabulary is then fused into the graph, where eager mode runs several full
        passes over the (tokens × vocabulary) logits (benchmarks/gpu.py measured compiled
        model + loss at 46.7% MFU on an H200, eager at 29%). Compiling a function rather
        than wrapping ``self.model`` keeps the state-dict keys (no ``_orig_mod.``), so
        checkpoints, export and attention views see the same model either way.
        """
        if not self.config.trainer.compile:
            return self.loss_of(batch)
        if getattr(self, "_compiled_loss", None) is None:
            dynamic = False if self.fixed_shapes else None
            self._compiled_loss = torch.compile(self.loss_of, dynamic=dynamic)
        return self._compiled_loss(batch)

    def setup(self, stage: str) -> None:
        """Note which weights are matrices (weight decay applies to them) while the model is
        as built: Lightning calls this before a strategy wraps it, and FSDP then turns each
        parameter into a 1-D shard."""
        self._matrix_names = {n for n, p in self.model.named_parameters() if p.dim() >= 2}

    def new_head_parameter(self, name: str) -> bool:
        """Whether the model's parameter ``name`` belongs to a freshly initialised head that
        ``optim.head_lr`` trains (none in a model trained from scratch)."""
        return False

    def configure_optimizers(self) -> dict[str, Any]:
        trained = [p for p in self.model.parameters() if p.requires_grad]
        on_cuda = bool(trained) and all(p.is_cuda for p in trained)
        # Not under 16-mixed: a fused step unscales fp16 gradients itself, and Lightning's
        # GradScaler path then refuses to clip them (gradient_clip_val is on by default).
        # Under bf16-mixed it refuses too, without a reason: configure_gradient_clipping.
        fused = on_cuda and self.config.trainer.precision != "16-mixed"
        matrices = getattr(self, "_matrix_names", None)  # None: configured without setup
        optimizer = build_optimizer(
            self.model, self.config.optim, fused, matrices, self.new_head_parameter
        )
        total = int(self.trainer.estimated_stepping_batches)
        minutes = self.config.trainer.max_time_minutes
        by_time = self.config.optim.decay_by_time and minutes
        scheduler = build_scheduler(
            optimizer, total, self.config.optim, minutes * 60 if by_time else None
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def configure_gradient_clipping(
        self,
        optimizer: torch.optim.Optimizer,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: str | None = None,
    ) -> None:
        """Lightning's clipping, except under FSDP, whose precision plugin refuses to clip
        by norm: the wrapped model clips its shards itself; and for a fused optimiser under
        ``bf16-mixed``, which Lightning's mixed-precision plugin refuses to clip (a fused step
        may unscale fp16 gradients itself), though bf16 has no scaler: its gradients are
        the true ones, clipped here as Lightning would."""
        if gradient_clip_val and is_sharded(self.trainer.model):
            clip_sharded_gradients(self.trainer.model, gradient_clip_val)
            return
        fused_bf16 = self.config.trainer.precision == "bf16-mixed" and getattr(
            optimizer, "_step_supports_amp_scaling", False
        )
        if gradient_clip_val and fused_bf16:
            params = [p for group in optimizer.param_groups for p in group["params"]]
            if gradient_clip_algorithm == "value":
                torch.nn.utils.clip_grad_value_(params, gradient_clip_val)
            else:
                torch.nn.utils.clip_grad_norm_(params, gradient_clip_val)
            return
        super().configure_gradient_clipping(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def log_train_loss(self, loss: Any, batch_size: int) -> None:
        """``train_loss`` of this step and the learning rate, on logging steps only.

        Lightning hands on-step values to the loggers every ``log_every_n_steps`` steps (the
        same test as its ``should_update_logs``), but each ``self.log`` call costs its result
        bookkeeping on every step: ~2.5 ms per call on a small CPU model, more than the model's
        forward pass (benchmarks/overhead.py). Off the logging steps we skip the calls.
        """
        if not self.is_logging_step():
            return
        # Not prog_bar: Lightning would read it back with .item() after every later step (a
        # device sync); the bar shows the store logger's copy (callbacks.progress_bar).
        self.log("train_loss", loss, on_step=True, on_epoch=False, batch_size=batch_size)
        self.log_lr()

    def is_logging_step(self) -> bool:
        """Whether the loggers take on-step values at this training step (always, for a
        step called outside a Trainer, where ``self.log`` itself only warns)."""
        trainer = self._trainer  # the public property raises when there is none
        if trainer is None:
            return True
        return (trainer.global_step + 1) % trainer.log_every_n_steps == 0 or trainer.should_stop

    def log_lr(self) -> None:
        """The current learning rate, as the ``lr`` metric (a Python float: no device sync)."""
        self.log(
            "lr", self.trainer.optimizers[0].param_groups[0]["lr"], on_step=True, on_epoch=False
        )
