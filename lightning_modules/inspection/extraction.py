"""One explicit-path pass over a trained model: every layer's attention probabilities, with
rollout, saliency (classifiers) and the model's prediction.

The probabilities come from the explicit softmax path (``return_weights=True``) run on
the checkpoint's weights; training runs the fast SDPA path, which never materialises them.
The same inputs also go through the fast path, and the largest difference between the two
paths' outputs (language models: their final hidden states) is reported with the maps
(``fast_path_max_diff``), so a view never shows weights of a computation other than the
model's own (``check_fast_path=False`` skips that second pass: NaN is reported).

Examples are batched with padding, and every map is cut back to the example's own tokens;
padded keys get exactly zero weight, which is checked, so nothing is lost by the cut.
Encoder–decoder runs first generate the target greedily, then run one teacher-forced
explicit pass over source and generated target for decoder self- and cross-attention.
Pretrained (Hugging Face) runs take an eager-attention pass instead (``pretrained``;
encoder–decoders: ``pretrained_seq2seq``).

Our own text models (encoders, decoder LMs) are read where their weights are: move
``run.task`` to a GPU and the pass runs there (``benchmarks/gpu_check.py`` does); the other
families run on the CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lightning_modules.data.tokenization import CLS, MASK
from lightning_modules.inspection.batching import (
    SPECIAL,
    base_maps,
    class_prediction,
    fast_outputs,
    max_diff,
    model_device,
    pad,
    score,
    trim,
)
from lightning_modules.inspection.inputs import Example
from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.inspection.maps import AttentionMaps
from lightning_modules.inspection.pretrained import pretrained_maps
from lightning_modules.inspection.pretrained_seq2seq import seq2seq_maps
from lightning_modules.inspection.rollout import attention_rollout
from lightning_modules.inspection.saliency import captured_output, input_x_gradient
from lightning_modules.models.seq2seq import Seq2SeqAttention
from lightning_modules.models.seq2seq_decoding import greedy_decode


def extract(run: LoadedRun, example: Example, check_fast_path: bool = True) -> AttentionMaps:
    """All views' data for one input (see ``maps`` for the fields)."""
    return extract_batch(run, [example], check_fast_path)[0]


@torch.no_grad()
def extract_batch(
    run: LoadedRun, examples: Sequence[Example], check_fast_path: bool = True
) -> list[AttentionMaps]:
    """All views' data for several inputs of one run, in one padded batch.

    Args:
        check_fast_path: also run the fast path and report how far its outputs are from
            the explicit path's (one more forward pass).

    Raises:
        ValueError: no examples, or an example of the wrong kind for the run (text for a
            ViT, pixels for a text model).
    """
    if not examples:
        raise ValueError("no examples to extract")
    wants_pixels = run.reads_images
    if any((ex.pixels is not None) != wants_pixels for ex in examples):
        raise ValueError(f"a {run.family} run needs {'images' if wants_pixels else 'token ids'}")
    with run.lock:
        if run.family == "pretrained" and run.task_name == "seq2seq":
            return seq2seq_maps(run, examples, check_fast_path)
        if run.family == "pretrained":
            return pretrained_maps(run, examples, check_fast_path)
        if run.family == "vit":
            return _vit(run, examples, check_fast_path)
        if run.family == "encoder_decoder":
            return _seq2seq(run, examples, check_fast_path)
        return _text(run, examples, check_fast_path)


def _text(run: LoadedRun, examples: Sequence[Example], check: bool) -> list[AttentionMaps]:
    """Encoder classifiers, regressors, masked LMs and decoder-only LMs."""
    model, task = run.model, run.task_name
    ids, mask = pad([ex.ids for ex in examples], model_device(model))
    saliency = None
    if task in ("language_modeling", "masked_lm"):
        # Compared: the stack's hidden states at every position. The vocabulary head (the
        # costliest layer) then runs only where a prediction is shown.
        stack = model.stack if task == "language_modeling" else model.encoder
        inputs = (ids,) if task == "language_modeling" else (ids, mask)
        outputs, weights = stack(*inputs, return_weights=True)  # (B, T, d)
        fast = fast_outputs(check, stack, *inputs)
        fast = fast[0] if fast is not None else None
    else:
        with captured_output(model.encoder.embed) as embedded, torch.enable_grad():
            hidden, weights = model.encoder(ids, mask, return_weights=True)
            outputs = model.head(model.pool(hidden, mask))  # (B, classes)
            saliency = input_x_gradient(embedded["output"], score(outputs))
        outputs, fast = outputs.detach(), fast_outputs(check, model, ids, mask)
    stacked = torch.stack(weights)  # (L, B, H, T, T)
    results = []
    for b, ex in enumerate(examples):
        n = len(ex.ids)
        diff = max_diff(outputs, fast, b, n if outputs.dim() == 3 else None)
        tokens = [run.tokenizer.id_to_token(i) for i in ex.ids.tolist()]
        maps = base_maps(run, ex, tokens, trim(stacked, b, n, n), diff)
        maps.prediction = _text_prediction(run, outputs[b], ex.ids, n)
        if saliency is not None:
            maps.saliency, maps.saliency_signed = (s[b, :n].cpu().numpy() for s in saliency)
        results.append(maps)
    return results


def _vit(run: LoadedRun, examples: Sequence[Example], check: bool) -> list[AttentionMaps]:
    model = run.model
    pixels = torch.stack([ex.pixels for ex in examples]).float()  # (B, C, H, W)
    # The ViT's embedding output — [CLS] and patches plus positions — leaves its dropout.
    with captured_output(model.drop) as embedded, torch.enable_grad():
        hidden, weights = model.encode(pixels, return_weights=True)
        logits = model.head(hidden[:, 0])  # (B, classes)
        l2, signed = input_x_gradient(embedded["output"], score(logits))
    logits, fast = logits.detach(), fast_outputs(check, model, pixels)
    stacked = torch.stack(weights)  # (L, B, H, 1 + P, 1 + P)
    patch = run.config.model.patch_size
    rows, cols = pixels.shape[2] // patch, pixels.shape[3] // patch
    tokens = [CLS, *(f"r{r}c{c}" for r in range(rows) for c in range(cols))]
    names = run.task.hparams.class_names
    results = []
    for b, ex in enumerate(examples):
        n = len(tokens)
        maps = base_maps(run, ex, tokens, trim(stacked, b, n, n), max_diff(logits, fast, b))
        maps.prediction = class_prediction(logits[b], names)
        maps.saliency, maps.saliency_signed = l2[b].numpy(), signed[b].numpy()
        maps.image, maps.patch_grid = ex.pixels.numpy(), (rows, cols)
        results.append(maps)
    return results


def _seq2seq(run: LoadedRun, examples: Sequence[Example], check: bool) -> list[AttentionMaps]:
    model, h = run.model, run.task.hparams
    source, source_mask = pad([ex.ids for ex in examples])
    generated = greedy_decode(model, source, source_mask, h.bos_id, h.eos_id, h.max_target_tokens)
    bos = torch.full((len(examples), 1), h.bos_id, dtype=torch.long)
    target_in = torch.cat([bos, generated[:, :-1]], dim=1)  # (B, U): teacher forcing
    attention = Seq2SeqAttention()
    logits = model(source, source_mask, target_in, attention)
    fast = fast_outputs(check, model, source, source_mask, target_in)
    encoder, decoder, cross = (
        torch.stack(w) for w in (attention.encoder, attention.decoder, attention.cross)
    )  # (L, B, H, T_q, T_k) each
    target_tok = run.target_tokenizer
    results = []
    for b, ex in enumerate(examples):
        n_src, out = len(ex.ids), generated[b].tolist()
        n_out = out.index(h.eos_id) + 1 if h.eos_id in out else len(out)
        out = out[:n_out]
        tokens = [run.tokenizer.id_to_token(i) for i in ex.ids.tolist()]
        diff = max_diff(logits, fast, b, n_out)
        maps = base_maps(run, ex, tokens, trim(encoder, b, n_src, n_src), diff)
        maps.target_tokens = [target_tok.id_to_token(i) for i in [h.bos_id, *out[:-1]]]
        maps.output_tokens = [target_tok.id_to_token(i) for i in out]
        maps.target_special = np.isin(maps.target_tokens, SPECIAL)
        maps.decoder_attention = trim(decoder, b, n_out, n_out)
        maps.cross_attention = trim(cross, b, n_out, n_src)
        maps.decoder_rollout = attention_rollout(maps.decoder_attention)
        words = out[:-1] if out[-1] == h.eos_id else out
        maps.prediction = target_tok.decode(words, skip_special_tokens=True)
        results.append(maps)
    return results


def _text_prediction(run: LoadedRun, outputs: torch.Tensor, ids: torch.Tensor, n: int) -> str:
    """Class, value, next token, or the tokens guessed at [MASK] positions.

    ``outputs`` are the logits of classifiers and regressors, the hidden states ``(T, d)``
    of language models.
    """
    task, tok, model = run.task_name, run.tokenizer, run.model
    if task == "classification":
        return class_prediction(outputs, run.task.hparams.class_names)
    if task == "regression":
        return f"{float(outputs[0]) * run.task.target_std + run.task.target_mean:.4g}"
    if task == "language_modeling":
        return tok.id_to_token(int(model.head(outputs[n - 1]).argmax()))
    masked = (ids == tok.token_to_id(MASK)).nonzero().flatten().tolist()
    if not masked:
        return "no [MASK] in the input: type [MASK] where the model should guess a token"
    guesses = model.mlm_head(outputs[masked]).argmax(dim=-1).tolist()  # (M,)
    return ", ".join(f"{i}: {tok.id_to_token(g)}" for i, g in zip(masked, guesses, strict=True))
