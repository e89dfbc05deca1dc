"""Training and inference FLOPs: the 6·N·D rule and an exact count per layer. No torch.

The exact count follows Hoffmann et al. 2022 (Chinchilla), Appendix F — a multiply-add is
2 FLOPs; per layer QKV 2·3·T·d², QKᵀ 2·T²·d, softmax 3·H·T², softmax·V 2·T²·d, output
projection 2·T·d², feed-forward 2·2·T·d·d_ff; logits 2·T·d·V — with the cross-attention of an
encoder–decoder's decoder (queries from the target, keys and values from the source) and
the heads these models really have. Two places differ from Chinchilla, on purpose:

- embeddings: these models look tokens up (a gather, no multiplications), so the count
  has only the position add, T·d; Chinchilla counts a one-hot matmul, 2·T·V·d. A ViT's patch
  embedding is a real matmul and is counted.
- QKᵀ and softmax·V are counted in full (T² each), as the kernels compute them, also when
  a causal mask throws half away; Kaplan et al. count the attention once.

Today's architectures change the terms, not the method: grouped-query attention projects K
and V to ``n_kv_heads`` heads (QKV 2·T·d·(H + 2·KV)·head_dim); scores and the output
projection use H·head_dim (Gemma's heads are wider than d/H); a gated feed-forward has three
matrices (2·3·T·d·d_ff); an MoE layer runs each token through its ``experts_per_token``
routed and its shared experts, plus a router (2·T·d·experts), so 6·N·D uses the *active* N.

Backward = 2 × forward, so training = 3 × forward. Bias adds, layer norms and activations
are not counted (a few % at most), like in both papers and in torch's FlopCounterMode.
"""

from __future__ import annotations

from paretolab.costing.params import non_embedding_params, total_params
from paretolab.costing.shapes import BatchShape, ModelShape, full_batch

PF_DAY = 1e15 * 86_400  # FLOPs in one petaFLOP/s-day


def flops_6nd(params: float, tokens: float) -> float:
    """Kaplan's training compute: 6 FLOPs per parameter per token."""
    return 6.0 * params * tokens


def pf_days(flops: float) -> float:
    """FLOPs in petaFLOP/s-days (1 PF-day = 8.64e19 FLOPs)."""
    return flops / PF_DAY


def palm_flops_per_token(shape: ModelShape, seq_len: int) -> float:
    """PaLM's model FLOPs per training token, 6N + 12·L·H·Q·T (MFU's numerator; N: the
    active non-embedding parameters of a mixture of experts)."""
    attention = 12 * shape.n_layers * shape.n_heads * shape.head_width * seq_len
    return 6.0 * non_embedding_params(shape, active=True) + attention


def _attention(shape: ModelShape, tq: int, tk: int, kv_len: int | None = None) -> dict:
    """Forward FLOPs of one attention layer for one sequence: ``tq`` queries over ``tk``
    keys (``kv_len`` rows projected to K and V: the source for cross-attention). Grouped-
    query attention projects to ``n_kv_heads`` K/V heads; scores are computed per query head."""
    kv_len = tk if kv_len is None else kv_len
    d, heads = shape.d_model, shape.n_heads
    q, kv = heads * shape.head_width, shape.kv_heads * shape.head_width
    return {
        "qkv": 2 * tq * d * q + 2 * kv_len * d * 2 * kv,
        "qk_scores": 2 * tq * tk * q,
        "softmax": 3 * heads * tq * tk,
        "attend_values": 2 * tq * tk * q,
        "output_projection": 2 * tq * q * d,
    }


def _ffn(shape: ModelShape, t: int, moe: bool) -> dict[str, float]:
    """Forward FLOPs of one feed-forward for ``t`` tokens: a gated one has three matrices;
    an MoE layer runs each token through its routed and shared experts, plus the router."""
    matrices = 2 if shape.ffn == "mlp" else 3
    if not moe:
        return {"feed_forward": 2 * t * matrices * shape.d_model * shape.d_ff}
    experts = shape.experts_per_token + shape.shared_experts
    width = shape.expert_d_ff or shape.d_ff
    return {
        "feed_forward": 2 * t * matrices * shape.d_model * width * experts,
        "router": 2 * t * shape.d_model * shape.num_experts,
    }


def _stack(shape: ModelShape, layers: int, t: int) -> dict[str, float]:
    dense = min(shape.dense_layers_first, layers) if shape.is_moe else layers
    out: dict[str, float] = {}
    for count, moe in ((dense, False), (layers - dense, True)):
        if count:
            _add(
                out,
                {
                    k: count * v
                    for k, v in {**_attention(shape, t, t), **_ffn(shape, t, moe)}.items()
                },
            )
    return out


def _add(total: dict[str, float], part: dict[str, float], prefix: str = "") -> None:
    for key, value in part.items():
        total[prefix + key] = total.get(prefix + key, 0.0) + value


def forward_flops(shape: ModelShape, batch: BatchShape) -> dict[str, float]:
    """Forward FLOPs of one batch, by component."""
    d, n = shape.d_model, batch.sequences
    t = batch.seq_len
    out: dict[str, float] = {}
    if shape.family == "vit":
        c, _, _ = shape.image_shape or (0, 0, 0)
        out["embeddings"] = n * 2 * (t - 1) * c * shape.patch_size**2 * d  # patch projection
    else:
        out["embeddings"] = n * t * d  # lookup + position add
    _add(out, {k: n * v for k, v in _stack(shape, shape.n_layers, t).items()})
    predicted = batch.predicted
    if shape.family == "encoder_decoder":
        tt = batch.target_len
        out["embeddings"] += n * tt * d
        layers = shape.decoder_layers
        _add(out, {k: n * v for k, v in _stack(shape, layers, tt).items()})
        cross = _attention(shape, tt, t, kv_len=t)
        _add(out, {k: n * layers * v for k, v in cross.items()}, prefix="cross_")
        predicted = n * tt if predicted is None else predicted
    out["logits"] = _head_flops(shape, batch, predicted)
    return out


def _head_flops(shape: ModelShape, batch: BatchShape, predicted: int | None) -> float:
    d, n = shape.d_model, batch.sequences
    if shape.head == "classes":
        return 2.0 * d * shape.num_classes * (n if predicted is None else predicted)
    if predicted is None:
        share = shape.mlm_probability if shape.head == "mlm" else 1.0
        predicted = share * n * batch.seq_len
    per_position = 2 * d * shape.out_vocab + (2 * d * d if shape.head == "mlm" else 0)
    return float(per_position * predicted)


def training_flops(shape: ModelShape, batch: BatchShape) -> float:
    """Forward + backward FLOPs of one training batch (backward = 2 × forward)."""
    return 3.0 * sum(forward_flops(shape, batch).values())


def training_flops_for_tokens(shape: ModelShape, tokens: float) -> dict[str, float]:
    """Training FLOPs over ``tokens`` in full-length sequences, by component (3 × forward)."""
    one = full_batch(shape, 1)
    sequences = tokens / one.tokens
    return {k: 3.0 * v * sequences for k, v in forward_flops(shape, one).items()}


def inference_flops_per_token(shape: ModelShape, context: int | None = None) -> float:
    """Forward FLOPs per token served with ``context`` tokens of context (default
    ``max_len``): ≈ 2N plus attention over the context. A decoder generating with a KV cache
    spends what a full-length forward spends per position; an encoder, its forward over T."""
    one = full_batch(shape, 1, context)
    produced = one.target_len or one.seq_len
    return sum(forward_flops(shape, one).values()) / produced


def params_and_flops(shape: ModelShape, tokens: float) -> dict[str, float]:
    """The headline numbers of a training budget: N, 6·N·D and the exact count."""
    exact = training_flops_for_tokens(shape, tokens)
    n = total_params(shape)
    return {
        "params": n,
        "params_non_embedding": non_embedding_params(shape),
        "flops_6nd": flops_6nd(n, tokens),
        "flops_exact": sum(exact.values()),
    }
