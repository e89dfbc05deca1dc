"""The explicit pass for a pretrained (Hugging Face) run: the same model, switched to eager
attention for the pass, with ``output_attentions=True``.

Training runs the model with SDPA, which returns no weights. For the views the model is
switched to transformers' eager attention (softmax(QKᵀ/√d) materialised) for one pass and
back again; the same inputs also go through the model as it trains (``check``), and the
largest difference of the two passes' logits is reported as ``fast_path_max_diff``. A LoRA
run's ``PeftModel`` wraps the model: the pass runs on the wrapped model, adapters active.

Saliency (classifiers, regressors, images) is input × gradient on what the model's
embedding layer outputs: the token embeddings (``get_input_embeddings()``), or for a ViT
the embedded patches with [CLS] and positions. Those weights may be frozen (LoRA, frozen
layers), so the captured output is made a leaf that asks for its gradient.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer
from torch import nn

from lightning_modules.data.tokenization import CLS
from lightning_modules.inspection import batching
from lightning_modules.inspection.inputs import Example
from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.inspection.maps import AttentionMaps
from lightning_modules.inspection.saliency import input_x_gradient
from paretolab.config.pretrained import POOLED_TASKS

EXPLAINED_TASKS = ("classification", "regression", "image_classification")  # saliency


def pretrained_maps(
    run: LoadedRun, examples: Sequence[Example], check: bool
) -> list[AttentionMaps]:
    """All views' data for a pretrained run's examples (one padded batch)."""
    model = hf_model(run)
    if run.reads_images:
        return _images(run, model, examples, check)
    return _texts(run, model, examples, check)


def hf_model(run: LoadedRun) -> nn.Module:
    """The run's transformers model (a LoRA run's ``PeftModel`` unwrapped: its adapters stay
    in place inside it)."""
    model = run.model
    return model.get_base_model() if hasattr(model, "get_base_model") else model


@contextmanager
def eager_attention(model: nn.Module) -> Iterator[None]:
    """Within the block, ``model`` (and its sub-models) attend with the eager path."""
    before = model.config._attn_implementation
    if before == "eager":
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(before)


@contextmanager
def leaf_output(module: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Within the block, ``module``'s output is replaced by a copy that requires grad
    (kept in ``captured["output"]``): its gradient exists even when the weights are frozen."""
    captured: dict[str, torch.Tensor] = {}

    def replace(_module: nn.Module, _inputs: object, output: torch.Tensor) -> torch.Tensor:
        captured["output"] = output.detach().requires_grad_()
        return captured["output"]

    handle = module.register_forward_hook(replace)
    try:
        yield captured
    finally:
        handle.remove()


def _texts(
    run: LoadedRun, model: nn.Module, examples: Sequence[Example], check: bool
) -> list[AttentionMaps]:
    ids, mask = batching.pad([ex.ids for ex in examples])
    inputs = {"input_ids": ids, "attention_mask": mask.long()}
    explain = run.task_name in EXPLAINED_TASKS
    logits, weights, saliency = _eager_pass(model, model.get_input_embeddings(), inputs, explain)
    fast = model(**inputs).logits if check else None  # (B, classes) or (B, T, vocab)
    specials = special_ids(run.tokenizer)
    results = []
    for b, ex in enumerate(examples):
        n = len(ex.ids)
        diff = batching.max_diff(logits, fast, b, n if logits.dim() == 3 else None)
        tokens = [run.tokenizer.id_to_token(i) for i in ex.ids.tolist()]
        maps = batching.base_maps(run, ex, tokens, batching.trim(weights, b, n, n), diff)
        maps.special = np.isin(ex.ids.numpy(), list(specials))
        maps.prediction = _prediction(run, logits[b], n)
        if run.task_name in POOLED_TASKS:  # what the head reads (model.pooling)
            maps.pooling = run.config.model.pooling
        if saliency is not None:
            maps.saliency, maps.saliency_signed = (s[b, :n].numpy() for s in saliency)
        results.append(maps)
    return results


def _images(
    run: LoadedRun, model: nn.Module, examples: Sequence[Example], check: bool
) -> list[AttentionMaps]:
    pixels = torch.stack([ex.pixels for ex in examples]).float()  # (B, C, H, W) in [0, 1]
    inputs = {"pixel_values": run.task.pixel_values(pixels)}
    embeddings = model.base_model.embeddings  # [CLS] + patches + positions, (B, 1 + P, d)
    logits, weights, saliency = _eager_pass(model, embeddings, inputs, explain=True)
    fast = model(**inputs).logits if check else None
    size, patch = run.task.image_size, model.config.patch_size
    rows, cols = size[0] // patch, size[1] // patch
    tokens = [CLS, *(f"r{r}c{c}" for r in range(rows) for c in range(cols))]
    shown = _as_seen(pixels, run.task.image_mean.shape[0], size)  # what the patches cut
    names = run.task.hparams.class_names
    results = []
    for b, ex in enumerate(examples):
        n = len(tokens)
        maps = batching.base_maps(run, ex, tokens, batching.trim(weights, b, n, n), 0.0)
        maps.fast_path_max_diff = batching.max_diff(logits, fast, b)
        maps.prediction = batching.class_prediction(logits[b], names)
        maps.saliency, maps.saliency_signed = (s[b].numpy() for s in saliency)
        maps.image, maps.patch_grid = shown[b].numpy(), (rows, cols)
        results.append(maps)
    return results


def _eager_pass(
    model: nn.Module, embeddings: nn.Module, inputs: dict[str, torch.Tensor], explain: bool
) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
    """Logits, stacked attention ``(L, B, H, T, T)`` and (if ``explain``) saliency."""
    if not explain:
        with eager_attention(model):
            out = model(**inputs, output_attentions=True)
        return out.logits, torch.stack(out.attentions), None
    with eager_attention(model), leaf_output(embeddings) as embedded, torch.enable_grad():
        out = model(**inputs, output_attentions=True)
        saliency = input_x_gradient(embedded["output"], batching.score(out.logits))
    return out.logits.detach(), torch.stack(out.attentions).detach(), saliency


def _as_seen(pixels: torch.Tensor, channels: int, size: tuple[int, int]) -> torch.Tensor:
    """The pixels at the checkpoint's channels and size, before normalisation (shown under
    the patch maps: the grid then cuts the image the way the model cut it)."""
    if pixels.shape[1] != channels:
        pixels = pixels.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1)
    if tuple(pixels.shape[-2:]) != tuple(size):
        pixels = F.interpolate(pixels, size=size, mode="bilinear", align_corners=False)
    return pixels.clamp(0.0, 1.0)


def special_ids(tokenizer: Tokenizer) -> set[int]:
    """The ids of the tokenizer's special tokens ([CLS], [SEP], <s>, <|endoftext|>…)."""
    return {i for i, token in tokenizer.get_added_tokens_decoder().items() if token.special}


def _prediction(run: LoadedRun, logits: torch.Tensor, n: int) -> str:
    """Class, value or next token (``logits`` of one example)."""
    if run.task_name == "classification":
        return batching.class_prediction(logits, run.task.hparams.class_names)
    if run.task_name == "regression":
        return f"{float(logits[0]) * run.task.target_std + run.task.target_mean:.4g}"
    return run.tokenizer.id_to_token(int(logits[n - 1].argmax()))
