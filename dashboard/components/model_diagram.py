"""The configured model as a Graphviz diagram with parameter counts per block."""

from __future__ import annotations

from paretolab.config import ModelConfig


def model_dot(counts: dict[str, int], model: ModelConfig, num_classes: int) -> str:
    """DOT source: embeddings → N blocks (attention, feed-forward) → norm → head."""

    def label(title: str, key: str, extra: str = "") -> str:
        return f'"{title}{extra}\\n{_human(counts[key])} params"'

    if model.is_pretrained():  # its blocks are the checkpoint's, not counted here
        return _pretrained_dot(model)
    if model.family == "encoder_decoder":
        return _encoder_decoder_dot(counts, model)
    decoder = model.family == "decoder_lm"
    vit = model.family == "vit"
    kind, attention = (
        ("decoder", "causal self-attention") if decoder else ("encoder", "self-attention")
    )
    per_block = counts["blocks"] // max(model.n_layers, 1)
    d, heads = model.d_model, model.n_heads
    if decoder:
        tied = " (tied to the token embedding)" if model.tie_weights else ""
        tail = [
            f"  head [label={label('next-token head', 'output head', tied)}];",
            "  norm -> head;",
        ]
    else:
        pooling = "[CLS] token" if vit else f"{model.pooling} pooling"
        tail = [
            f'  pool [label="{pooling}"];',
            f"  head [label={label('classifier head', 'output head', f' ({num_classes} classes)')}];",
            "  norm -> pool; pool -> head;",
        ]
    return "\n".join(
        [
            "digraph model {",
            '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#eef2ff", fontname="Helvetica"];',
            *_inputs(model, label),
            f'  subgraph cluster_blocks {{ label="{model.n_layers} × {kind} block '
            f'({_human(per_block)} params each)"; style=dashed;',
            f'    attn [label="multi-head {attention}\\n{heads} heads × {d // heads}"];',
            f'    ff [label="feed-forward\\n{d} → {model.ff_dim()} → {d}"];',
            "    attn -> ff;",
            "  }",
            f"  norm [label={label('final layer norm', 'final layer norm')}];",
            "  tok -> attn; pos -> attn; ff -> norm;",
            *tail,
            "}",
        ]
    )


def _encoder_decoder_dot(counts: dict[str, int], model: ModelConfig) -> str:
    """Source → encoder stack ⇢ cross-attention of every decoder block → target head."""
    d, heads = model.d_model, model.n_heads
    per_enc = counts["blocks"] // max(model.n_layers, 1)
    per_dec = counts["decoder blocks"] // max(model.decoder_layers(), 1)
    tied = " (tied to the target embedding)" if model.tie_weights else ""
    return "\n".join(
        [
            "digraph model {",
            '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#eef2ff", fontname="Helvetica"];',
            f'  emb [label="source + target token embeddings (d={d})\\n'
            f'{_human(counts["token embedding"] + counts["position embedding"])} params"];',
            f'  subgraph cluster_enc {{ label="{model.n_layers} × encoder block '
            f'({_human(per_enc)} params each)"; style=dashed;',
            f'    enc_attn [label="multi-head self-attention\\n{heads} heads × {d // heads}"];',
            f'    enc_ff [label="feed-forward\\n{d} → {model.ff_dim()} → {d}"];',
            "    enc_attn -> enc_ff;",
            "  }",
            f'  subgraph cluster_dec {{ label="{model.decoder_layers()} × decoder block '
            f'({_human(per_dec)} params each)"; style=dashed;',
            '    dec_self [label="causal self-attention"];',
            '    dec_cross [label="cross-attention\\n(queries: target, keys/values: source)"];',
            '    dec_ff [label="feed-forward"];',
            "    dec_self -> dec_cross -> dec_ff;",
            "  }",
            f'  head [label="next-token head{tied}\\n{_human(counts["output head"])} params"];',
            "  emb -> enc_attn; emb -> dec_self; enc_ff -> dec_cross [style=dashed];",
            "  dec_ff -> head;",
            "}",
        ]
    )


def _inputs(model: ModelConfig, label) -> list[str]:  # noqa: ANN001 - the label helper
    if model.family == "vit":
        p = model.patch_size
        return [
            f"  tok [label={label(f'patch embedding ({p}×{p} patches)', 'patch embedding')}];",
            f"  pos [label={label('[CLS] + learned positions', 'position embedding')}];",
        ]
    return [
        f"  tok [label={label('token embedding', 'token embedding', f' (d={model.d_model})')}];",
        f"  pos [label={label(f'{model.positional} positions', 'position embedding')}];",
    ]


def _human(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def _pretrained_dot(model: ModelConfig) -> str:
    """A pretrained checkpoint and the task head added to it."""
    name = model.pretrained.replace('"', "'").replace("\\", "/")
    return "\n".join(
        [
            "digraph model {",
            '  node [shape=box, style="rounded,filled", fillcolor="#eef2ff", fontname="Helvetica"];',
            f'  ckpt [label="{name}\\n(pretrained, fine-tuning: {model.finetune})"];',
            '  head [label="new task head"];',
            "  ckpt -> head;",
            "}",
        ]
    )
