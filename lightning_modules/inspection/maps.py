"""What the explorer extracts for one input, and its ``.npz`` form.

The ``.npz`` written by ``paretolab attention … --out FILE.npz`` (and ``save_npz``) holds
plain arrays only — strings as fixed-width unicode, never pickled objects — so
``np.load(path)`` reads it without ``allow_pickle``. T is the number of input tokens
(padding removed; a ViT's T is 1 + patches, [CLS] first), L the layers, H the heads.

Every run:

====================  ================  ==================================================
array                 shape, dtype      meaning
====================  ================  ==================================================
``tokens``            (T,) str          input tokens as the run's tokenizer splits them
                                        (seq2seq: the source); ViT: ``[CLS]``, ``r0c0``…
``special``           (T,) bool         [CLS]/[SEP] (the views can hide them)
``attention``         (L, H, T, T) f32  self-attention probabilities of every layer and
                                        head (seq2seq: the encoder); rows sum to 1
``rollout``           (T, T) f32        attention rollout of ``attention`` (rows sum to 1)
``prediction``        () str            what the model outputs for this input
``reference``         () str            the data's answer ("" for typed input)
``source``            () str            ``val sample 3``, ``typed text``, ``uploaded image``
``run``               () str            run, fold, checkpoint and step
``family``, ``task``  () str            model family and task of the run
``notes``             (k,) str          what changed on the way in (truncation, resizing)
``pooling``           () str            a pretrained text classifier's head reads the
                                        ``mean`` of the positions or the ``cls`` token
                                        (absent: the tokens say, [CLS] first or not)
``fast_path_max_diff`` () f32           largest difference between the explicit path's
                                        outputs and the fast path's (training's): logits,
                                        or a language model's final hidden states (NaN:
                                        not checked)
====================  ================  ==================================================

Classification, regression and ViT runs add ``saliency`` (T,) f32, the L2 norm of input ×
gradient per token, and ``saliency_signed`` (T,) f32, its sum (see ``saliency``).

Encoder–decoder runs add, with U the generated target tokens (greedy, end token included):

- ``target_tokens`` (U,) str: the decoder's inputs, ``[CLS] y1 … y(U-1)``;
- ``output_tokens`` (U,) str: what each decoder position generated, ``y1 … yU``;
- ``target_special`` (U,) bool;
- ``decoder_attention`` (L_dec, H, U, U) f32: causal decoder self-attention;
- ``cross_attention`` (L_dec, H, U, T) f32: decoder position → source token;
- ``decoder_rollout`` (U, U) f32: rollout of the decoder self-attention.

ViT runs add ``image`` (C, H_px, W_px) f32 in [0, 1] and ``patch_grid`` (2,) int (patch
rows and columns).

Pretrained (Hugging Face) runs (``family`` ``pretrained``) have the same arrays for their
task: ``attention`` is transformers' eager attention (``output_attentions=True``),
``fast_path_max_diff`` compares its logits with the SDPA model's (language models: every
position's logits), ``special`` marks the tokenizer's own special tokens ([CLS], <s>…),
and ``saliency`` is taken on the token embeddings (``get_input_embeddings()``: without
positions; a ViT's: its patch embeddings with [CLS] and positions). An image classifier's
``image`` is the picture at the checkpoint's size and channels, as its patches cut it.
A pretrained encoder–decoder (T5…) has the encoder–decoder arrays above: its target is
decoded greedily with its own ``generate``, ``target_tokens`` start with its decoder start
token (T5: ``<pad>``), and ``fast_path_max_diff`` compares the generated positions' logits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np


@dataclass
class AttentionMaps:
    """Every view's data for one input (see the module docstring for each field)."""

    run: str
    family: str
    task: str
    source: str
    tokens: list[str]
    special: np.ndarray
    attention: np.ndarray
    rollout: np.ndarray
    prediction: str
    fast_path_max_diff: float
    reference: str = ""
    notes: list[str] = field(default_factory=list)
    pooling: str | None = None  # set for pretrained text classifiers only (absent in the .npz)
    saliency: np.ndarray | None = None
    saliency_signed: np.ndarray | None = None
    target_tokens: list[str] | None = None
    output_tokens: list[str] | None = None
    target_special: np.ndarray | None = None
    decoder_attention: np.ndarray | None = None
    cross_attention: np.ndarray | None = None
    decoder_rollout: np.ndarray | None = None
    image: np.ndarray | None = None
    patch_grid: tuple[int, int] | None = None

    @property
    def layers(self) -> int:
        return self.attention.shape[0]

    @property
    def heads(self) -> int:
        return self.attention.shape[1]


_FLOATS = {"fast_path_max_diff"}


def save_npz(maps: AttentionMaps, path: str | Path) -> Path:
    """Write ``maps`` as an uncompressed ``.npz`` (atomically: temp file, then rename).

    Returns:
        The path written (``.npz`` is appended if missing, as numpy does).
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(npz_bytes(maps))
    tmp.replace(path)
    return path


def npz_bytes(maps: AttentionMaps) -> bytes:
    """The ``.npz`` file's contents (for a download)."""
    arrays = {}
    for f in fields(maps):
        value = getattr(maps, f.name)
        if value is None:
            continue
        if isinstance(value, str) or f.name in _FLOATS:
            value = np.asarray(value, dtype=np.float32 if f.name in _FLOATS else None)
        elif isinstance(value, list):  # token and note lists: fixed-width unicode, no pickle
            value = np.asarray(value, dtype=str) if value else np.zeros(0, dtype="<U1")
        arrays[f.name] = np.asarray(value)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def load_npz(path: str | Path) -> AttentionMaps:
    """Read a file written by ``save_npz`` (no pickle)."""
    with np.load(path, allow_pickle=False) as npz:
        data = {name: npz[name] for name in npz.files}
    kwargs = {}
    for f in fields(AttentionMaps):
        if f.name not in data:
            continue
        value = data[f.name]
        if value.dtype.kind == "U":
            value = str(value) if value.ndim == 0 else value.tolist()
        elif f.name in _FLOATS:
            value = float(value)
        elif f.name == "patch_grid":
            value = tuple(int(v) for v in value)
        kwargs[f.name] = value
    return AttentionMaps(**kwargs)
