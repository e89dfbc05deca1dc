"""A registered version's model card (Markdown): data, metrics, cost to train, measured
serving figures, intended use and limits. Every figure is read from the store."""

from __future__ import annotations

from paretolab.store import RunStore
from paretolab.store.registry_entities import ModelVersion

CARD_FILE = "README.md"
# The training cost figures the cost callback stores (``cost/…`` metrics), as the card
# names them.
_COSTS = (
    ("cost/usd", "dollars", "${:,.3g}"),
    ("cost/device_hours", "device-hours", "{:,.4f}"),
    ("cost/energy_kwh", "energy (kWh, estimated from TDP)", "{:,.6f}"),
    ("cost/flops_measured", "training FLOPs (measured)", "{:,.3g}"),
    ("cost/train_seconds", "training time (s)", "{:,.1f}"),
    ("cost/params", "parameters", "{:,.0f}"),
)


def model_card(version: ModelVersion, store: RunStore, serving: list[dict] | None = None) -> str:
    """The card's Markdown for ``version``; ``serving``: measured serving figures, if any."""
    lineage = version.lineage
    model = lineage.get("config", {}).get("model", {})
    data = lineage.get("data", {})
    costs = {k: m.value for k, m in store.latest_metrics(version.run_id).items()}
    lines = [
        f"# {version.ref}",
        "",
        version.description or f"A {lineage.get('task')} model trained by paretolab.",
        "",
        "## Model",
        f"- task: {lineage.get('task')}; family: {model.get('family')}"
        + (f" ({model.get('pretrained')})" if model.get("pretrained") else ""),
        f"- run {version.run_id} ({lineage.get('run_name')}), {version.checkpoint} checkpoint, "
        f"SHA-256 `{version.checkpoint_sha256}`",
        f"- code commit: {lineage.get('code_commit') or 'unknown'}; "
        f"paretolab {lineage.get('paretolab_version')}",
        f"- aliases: {', '.join('@' + a for a in version.aliases) or 'none'}",
        "",
        "## Data",
        _data_line(data),
        "",
        "## Metrics (at registration)",
        *_table(("metric", "value"), [(k, f"{v:.4g}") for k, v in lineage["metrics"].items()]),
        "",
        "## Cost to train",
        *_table(
            ("figure", "value"),
            [(label, fmt.format(costs[key])) for key, label, fmt in _COSTS if key in costs],
        ),
        "",
        "## Serving (measured)",
        *_serving_lines(version, serving),
        "",
        "## Intended use",
        _intended_use(lineage.get("task", ""), data),
        "",
        "## Limits",
        *_limits(lineage, data),
        "",
    ]
    return "\n".join(lines)


def _table(header: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return ["Not recorded for this run."]
    return [f"| {header[0]} | {header[1]} |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]


def _data_line(data: dict) -> str:
    if data.get("dataset") == "file":
        digest = data.get("sha256") or "not recorded (a folder, or the file is gone)"
        return f"Your file `{data.get('path')}`, SHA-256 `{digest}`."
    return f"The built-in dataset `{data.get('dataset')}`."


def _serving_lines(version: ModelVersion, serving: list[dict] | None) -> list[str]:
    if not serving:
        return [f"Not measured yet: `paretolab bench serve {version.ref}`."]
    rows = [
        f"| {s['runtime']} | {s['hardware']} | {s['p50_ms']:.2f} | {s['p95_ms']:.2f} | "
        f"{s['p99_ms']:.2f} | {s['throughput_rps']:.1f} (batch {s['best_batch']}) | "
        f"{s['peak_memory_mb']:.0f} |"
        for s in serving
    ]
    header = "| runtime | hardware | p50 ms | p95 ms | p99 ms | requests/s | peak MB |"
    return [header, "|---|---|---|---|---|---|---|", *rows]


def _intended_use(task: str, data: dict) -> str:
    what = {
        "classification": "assigns one of the classes it was trained on to a text",
        "regression": "predicts a number for a text",
        "image_classification": "assigns one of its classes to an image",
        "language_modeling": "continues a text in the style of its training data",
        "seq2seq": "rewrites a source sequence into a target sequence",
        "masked_lm": "fills in masked tokens",
    }.get(task, "makes predictions")
    return f"This model {what}, for inputs like those of {data.get('dataset')}."


def _limits(lineage: dict, data: dict) -> list[str]:
    config = lineage.get("config", {})
    max_length = config.get("data", {}).get("max_length")
    return [
        f"- Inputs longer than {max_length} tokens are truncated."
        if max_length
        else "- Inputs are resized to the training images' size.",
        f"- Judged only on the validation/test split of {data.get('dataset')}; "
        "check it on your own data before relying on it.",
        "- Not evaluated for fairness or safety.",
    ]
