"""The configured model as a Graphviz diagram with parameter counts per block."""

from __future__ import annotations


def encoder_classifier_dot(
    counts: dict[str, int],
    n_layers: int,
    n_heads: int,
    d_model: int,
    d_ff: int,
    pooling: str,
    num_classes: int,
) -> str:
    """DOT source: embeddings → N encoder blocks (attention, feed-forward) → pooling → head."""

    def label(title: str, key: str | None = None, extra: str = "") -> str:
        count = f"\\n{_human(counts[key])} params" if key else ""
        return f'"{title}{extra}{count}"'

    per_block = counts["encoder blocks"] // max(n_layers, 1)
    return "\n".join(
        [
            "digraph model {",
            '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#eef2ff", fontname="Helvetica"];',
            f"  tok [label={label('token embedding', 'token embedding', f' (d={d_model})')}];",
            f"  pos [label={label('position embedding', 'position embedding')}];",
            '  subgraph cluster_blocks { label="'
            + f"{n_layers} × encoder block ({_human(per_block)} params each)"
            + '";'
            " style=dashed;",
            f'    attn [label="multi-head self-attention\\n{n_heads} heads × {d_model // n_heads}"];',
            f'    ff [label="feed-forward\\n{d_model} → {d_ff} → {d_model}"];',
            "    attn -> ff;",
            "  }",
            f"  norm [label={label('final layer norm', 'final layer norm')}];",
            f'  pool [label="{pooling} pooling"];',
            f"  head [label={label('classifier head', 'classifier head', f' ({num_classes} classes)')}];",
            "  tok -> attn; pos -> attn; ff -> norm; norm -> pool; pool -> head;",
            "}",
        ]
    )


def _human(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)
