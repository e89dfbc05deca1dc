"""Predictions of a loaded version on either runtime: texts or images in, records out.

A record holds, by task: ``label``, ``score`` and ``top_k`` (classes), ``value``
(regression), or ``generated`` (language models and seq2seq: greedy decoding, one token at
a time through the same forward pass that ONNX exports). Inputs are prepared as in training
(``inspection.inputs``: the run's tokenizer, [CLS] where the run added it, truncation to
``data.max_length``; images converted and resized to the run's shape).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lightning_modules.data.modules.classification import pad_batch, text_windows
from lightning_modules.inspection.inputs import image_example, text_example
from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.serving.runtime import Runtime
from lightning_modules.tasks.classification import per_text

GENERATES = ("language_modeling", "seq2seq")


class Predictor:
    """Turns inputs into prediction records with ``runtime``.

    Args:
        run: the loaded version (tokenizers, class names, the task's settings).
        runtime: PyTorch or ONNX Runtime (``runtime.open_runtime``).
        top_k: how many classes each classification record lists.
        max_new_tokens: language models: how many tokens to generate.
    """

    def __init__(self, run: LoadedRun, runtime: Runtime, top_k: int = 3, max_new_tokens: int = 20):
        self.run, self.runtime = run, runtime
        self.top_k, self.max_new_tokens = top_k, max_new_tokens
        self.classes = run.task.hparams.get("class_names")

    def encode(self, item: str | bytes) -> torch.Tensor:
        """A text (or, for image models, an image file's path or bytes) as the model's input."""
        if self.run.reads_images:
            return image_example(self.run, item).pixels
        return text_example(self.run, item).ids

    def predict(self, items: list[str | bytes]) -> list[dict[str, Any]]:
        """One record per input, in order.

        Raises:
            UserError: an input the model cannot read (an empty text, not an image).
        """
        if self._reads_windows():
            return [self._classes(row) for row in self._per_text_logits(items)]
        encoded = [self.encode(item) for item in items]
        if self.run.task_name in GENERATES:
            return [{"generated": self._generate(x)} for x in encoded]
        outputs = self.runtime.logits(self._batch(encoded))
        if self.run.task_name == "regression":
            return [{"value": float(v)} for v in outputs]
        return [self._classes(row) for row in outputs]

    def _reads_windows(self) -> bool:
        """Whether the run judged each text by several windows (``data.eval_windows``)."""
        return not self.run.reads_images and self.run.config.data.eval_windows > 1

    def _per_text_logits(self, items: list[str | bytes]) -> np.ndarray:
        """Each text's logits as the run's evaluation computed them: the mean over its
        windows (``text_windows``, batched and averaged by the training code's own
        ``pad_batch`` and ``per_text``)."""
        for item in items:
            if not str(item).strip():
                text_example(self.run, str(item))  # raises the empty-text message
        tok, config = self.run.tokenizer, self.run.config
        batch = pad_batch([(text_windows(tok, config, str(item)), 0) for item in items])
        logits = self.runtime.logits((batch["input_ids"], batch["attention_mask"]))
        return per_text(torch.as_tensor(np.asarray(logits)), batch).numpy()

    def _batch(self, encoded: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        if self.run.reads_images:
            return (torch.stack(encoded),)
        ids, mask = _padded(encoded)
        return (ids, mask)

    def _classes(self, logits: np.ndarray) -> dict[str, Any]:
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs)[: self.top_k]
        top = [{"label": self.classes[i], "score": round(float(probs[i]), 6)} for i in order]
        return {"label": top[0]["label"], "score": top[0]["score"], "top_k": top}

    def _generate(self, ids: torch.Tensor) -> str:
        if self.run.task_name == "seq2seq":
            return self._translate(ids)
        window = self.run.config.data.max_length
        tokens = ids.tolist()
        new: list[int] = []
        for _ in range(self.max_new_tokens):
            context = torch.tensor([(tokens + new)[-window:]])
            new.append(int(self.runtime.logits((context,))[0, -1].argmax()))
        return self.run.tokenizer.decode(new)

    def _translate(self, source: torch.Tensor) -> str:
        h = self.run.task.hparams
        src = source.unsqueeze(0)
        mask = torch.ones_like(src, dtype=torch.bool)
        out = [h.bos_id]
        for _ in range(h.max_target_tokens):
            logits = self.runtime.logits((src, mask, torch.tensor([out])))
            token = int(logits[0, -1].argmax())
            if token == h.eos_id:
                break
            out.append(token)
        return self.run.target_tokenizer.decode(out[1:], skip_special_tokens=True)


def _padded(encoded: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, T)`` ids padded with 0 after each text, and the mask of real tokens."""
    longest = max(len(x) for x in encoded)
    ids = torch.zeros(len(encoded), longest, dtype=torch.long)
    mask = torch.zeros(len(encoded), longest, dtype=torch.bool)
    for row, x in enumerate(encoded):
        ids[row, : len(x)], mask[row, : len(x)] = x, True
    return ids, mask
