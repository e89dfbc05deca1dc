"""The explicit pass for a pretrained encoder–decoder run (T5, BART…; task ``seq2seq``).

As for the from-scratch encoder–decoder: the source is first decoded with the task's own
decoding (``task.decode``: the model's ``generate``, greedy), then source and decoded target
go through the model once more, teacher-forced, with transformers' eager attention and
``output_attentions=True``: encoder self-, decoder self- and cross-attention of every layer.
The same pass on the SDPA model (as it trains) gives ``fast_path_max_diff`` over the
generated positions' logits. A LoRA run's ``PeftModel`` decodes as in training; the pass
runs on its base model, adapters active.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lightning_modules.inspection import batching
from lightning_modules.inspection.inputs import Example
from lightning_modules.inspection.loading import LoadedRun
from lightning_modules.inspection.maps import AttentionMaps
from lightning_modules.inspection.pretrained import eager_attention, hf_model, special_ids
from lightning_modules.inspection.rollout import attention_rollout


def seq2seq_maps(run: LoadedRun, examples: Sequence[Example], check: bool) -> list[AttentionMaps]:
    """All views' data for a pretrained encoder–decoder's examples (one padded batch)."""
    model = hf_model(run)
    inputs, outputs, lengths = _decoded(run, examples, model.config.pad_token_id or 0)
    with eager_attention(model):
        out = model(**inputs, output_attentions=True)
    fast = model(**inputs).logits if check else None  # (B, U, vocab)
    encoder, decoder, cross = (
        torch.stack(w)
        for w in (out.encoder_attentions, out.decoder_attentions, out.cross_attentions)
    )  # (L, B, H, T_q, T_k) each
    tok, target_tok = run.tokenizer, run.target_tokenizer
    source_special, target_special = list(special_ids(tok)), list(special_ids(target_tok))
    results = []
    for b, ex in enumerate(examples):
        n, n_out = len(ex.ids), lengths[b]
        tokens = [tok.id_to_token(i) for i in ex.ids.tolist()]
        diff = batching.max_diff(out.logits, fast, b, n_out)
        maps = batching.base_maps(run, ex, tokens, batching.trim(encoder, b, n, n), diff)
        maps.special = np.isin(ex.ids.numpy(), source_special)
        target_ids = inputs["decoder_input_ids"][b, :n_out].tolist()
        out_ids = outputs[b, :n_out].tolist()
        maps.target_tokens = [target_tok.id_to_token(i) for i in target_ids]
        maps.output_tokens = [target_tok.id_to_token(i) for i in out_ids]
        maps.target_special = np.isin(target_ids, target_special)
        maps.decoder_attention = batching.trim(decoder, b, n_out, n_out)
        maps.cross_attention = batching.trim(cross, b, n_out, n)
        maps.decoder_rollout = attention_rollout(maps.decoder_attention)
        maps.prediction = target_tok.decode(out_ids, skip_special_tokens=True)
        results.append(maps)
    return results


def _decoded(
    run: LoadedRun, examples: Sequence[Example], pad_id: int
) -> tuple[dict[str, torch.Tensor], torch.Tensor, list[int]]:
    """The model's inputs for the teacher-forced pass over the greedily decoded targets,
    the decoded ids ``(B, U)`` (padded with ``pad_id``) and each one's length."""
    h = run.task.hparams
    source, mask = batching.pad([ex.ids for ex in examples])
    source = source.masked_fill(~mask, pad_id)  # the checkpoint's pad token, as in training
    generated = run.task.decode({"source": source, "source_mask": mask}, num_beams=1)  # (B, U)
    lengths = [_output_length(row.tolist(), h.eos_id) for row in generated]
    outputs = generated.masked_fill(generated < 0, pad_id)  # label_pad after the end token
    start = torch.full((len(examples), 1), h.bos_id, dtype=torch.long)
    inputs = {
        "input_ids": source,
        "attention_mask": mask.long(),
        "decoder_input_ids": torch.cat([start, outputs[:, :-1]], dim=1),  # teacher forcing
    }
    return inputs, outputs, lengths


def _output_length(row: list[int], eos_id: int) -> int:
    """How many tokens were generated, the end token included."""
    return row.index(eos_id) + 1 if eos_id in row else len(row)
