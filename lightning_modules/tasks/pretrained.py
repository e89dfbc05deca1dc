"""Tasks that fine-tune a pretrained Hugging Face model (family ``pretrained``).

Each is the from-scratch task of the same name with its network swapped for the
checkpoint's (``lightning_modules.pretrained.loading.build_model``): the metrics, logging,
checkpoints and everything around them are the same. A LoRA run's checkpoints keep only the
weights it trains (adapters and the new head); the frozen rest is the checkpoint's, read
again from its folder whenever the run's model is rebuilt.
"""

from __future__ import annotations

import json
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lightning_modules.pretrained.finetune import is_new_head
from lightning_modules.pretrained.loading import build_model, locate_files
from lightning_modules.tasks.classification import ClassificationTask
from lightning_modules.tasks.language_modeling import LanguageModelTask
from lightning_modules.tasks.regression import RegressionTask
from paretolab.config import GenerateConfig

# A ViT's image processor when the checkpoint ships none (transformers' ViT defaults).
_DEFAULT_IMAGE_MEAN = _DEFAULT_IMAGE_STD = (0.5, 0.5, 0.5)


class PretrainedWeights:
    """Checkpoints of a fine-tuned Hugging Face model: a LoRA run saves its trained weights
    only, and loading one checks that every trained weight is there (the frozen ones come
    from the checkpoint folder the model was built from)."""

    config: Any

    def trained_only(self) -> bool:
        """Whether checkpoints hold just the trained weights (LoRA)."""
        return self.config.model.finetune == "lora"

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self.trained_only():
            keep = self._trained_keys()
            state = checkpoint["state_dict"]
            checkpoint["state_dict"] = {k: v for k, v in state.items() if k in keep}

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        if not self.trained_only():
            return super().load_state_dict(state_dict, strict=strict, assign=assign)
        missing = sorted(self._trained_keys() - set(state_dict))
        result = super().load_state_dict(state_dict, strict=False, assign=assign)
        if missing or result.unexpected_keys:
            raise RuntimeError(
                f"the adapter checkpoint does not fit this model: missing {missing[:3]}, "
                f"unexpected {result.unexpected_keys[:3]}"
            )
        return result

    def new_head_parameter(self, name: str) -> bool:
        """Parameters of the head the run adds on the checkpoint (``optim.head_lr``)."""
        return is_new_head(name)

    def _trained_keys(self) -> set[str]:
        return {name for name, p in self.named_parameters() if p.requires_grad}


def _hf_logits(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits


class PretrainedClassificationTask(PretrainedWeights, ClassificationTask):
    """One label per text or image, learnt by a pretrained sequence or image classifier."""

    def build_model(
        self, vocab_size: int, class_names: list[str], image_shape: list[int] | None
    ) -> nn.Module:
        folder = locate_files(self.config.model).folder
        model = build_model(self.config, folder, class_names)
        if image_shape is not None:
            self._set_image_processing(folder, model)
        return model

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits ``(B, classes)``."""
        if "pixels" in batch:
            return self.model(pixel_values=self.pixel_values(batch["pixels"])).logits
        return _hf_logits(self.model, batch)

    def pixel_values(self, pixels: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` pixels in [0, 1] as the checkpoint saw its images in
        pretraining: its channels, its size (bilinear), its mean and std."""
        channels = self.image_mean.shape[0]
        if pixels.shape[1] != channels:
            pixels = pixels.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1)
        if tuple(pixels.shape[-2:]) != self.image_size:
            pixels = F.interpolate(
                pixels, size=self.image_size, mode="bilinear", align_corners=False
            )
        return (pixels - self.image_mean[:, None, None]) / self.image_std[:, None, None]

    def _set_image_processing(self, folder: Any, model: nn.Module) -> None:
        processor = folder / "preprocessor_config.json"
        settings = json.loads(processor.read_text(encoding="utf-8")) if processor.is_file() else {}
        hf = model.config
        channels = int(getattr(hf, "num_channels", 3))
        size = getattr(hf, "image_size", 224)
        self.image_size = (size, size) if isinstance(size, int) else tuple(size)
        mean = settings.get("image_mean", _DEFAULT_IMAGE_MEAN)
        std = settings.get("image_std", _DEFAULT_IMAGE_STD)
        self.register_buffer("image_mean", torch.tensor(mean[:channels]), persistent=False)
        self.register_buffer("image_std", torch.tensor(std[:channels]), persistent=False)


class PretrainedRegressionTask(PretrainedWeights, RegressionTask):
    """One number per text, learnt by a pretrained sequence model with one output."""

    def build_model(self, vocab_size: int) -> nn.Module:
        return build_model(self.config, locate_files(self.config.model).folder)

    def _standardised(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return _hf_logits(self.model, batch).squeeze(-1).float()


class PretrainedLanguageModelTask(PretrainedWeights, LanguageModelTask):
    """Next-token prediction by a pretrained causal language model."""

    def build_model(self, vocab_size: int) -> nn.Module:
        return build_model(self.config, locate_files(self.config.model).folder)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Next-token logits ``(B, T, vocab)``."""
        return self.model(input_ids=batch["input_ids"]).logits

    def sample(
        self, prompt: torch.Tensor, cfg: GenerateConfig, generator: torch.Generator
    ) -> torch.Tensor:
        # transformers' sampler draws from the global generator: seed it from ours.
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        # A learned position table ends somewhere (GPT-2: n_positions): stop there.
        limit = getattr(self.model.config, "max_position_embeddings", None) or getattr(
            self.model.config, "n_positions", None
        )
        room = (
            cfg.max_new_tokens
            if limit is None
            else min(cfg.max_new_tokens, limit - prompt.shape[1])
        )
        return self.model.generate(
            input_ids=prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=max(room, 1),
            do_sample=cfg.temperature > 0,
            temperature=cfg.temperature or None,
            top_k=cfg.top_k,
            pad_token_id=self.model.config.pad_token_id,
        )
