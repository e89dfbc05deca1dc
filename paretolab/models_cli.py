"""``paretolab models``: the pretrained models on this machine, for ``model.pretrained``."""

from __future__ import annotations

import argparse
import json

from paretolab import model_catalog
from paretolab.model_sources import hf_cache_dir, models_home
from paretolab.terminal import echo, printable


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab models``."""
    models = subparsers.add_parser(
        "models",
        help="pretrained models on this machine: models home, model packages, the HF cache",
    )
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.set_defaults(handler=_models)


def _models(args: argparse.Namespace) -> int:
    entries = model_catalog.list_models()
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=2))
    else:
        echo(models_table(entries))
    return 0


def models_table(entries: list[model_catalog.ModelEntry]) -> str:
    """A fixed-width table of models: the name to put in ``model.pretrained`` first."""
    if not entries:
        return (
            f"no pretrained models found: copy a model's folder to {models_home()}/<name>, "
            f"or download one into the Hugging Face cache ({hf_cache_dir()}) with `hf download`"
        )
    header = ["NAME", "REVISION", "WHERE", "ARCHITECTURE", "PARAMS", "LICENCE", "SIZE", "NOTE"]
    rows = [header]
    for e in entries:
        note = e.problem or ("hidden by the copy listed above" if e.shadowed else "")
        rows.append(
            [
                printable(e.name),
                (e.revision or "-")[:12],
                e.source,
                e.architecture or e.model_type or "-",
                model_catalog.format_params(e.params),
                printable(e.license or "-")[:30],
                f"{e.size_bytes / 1e6:,.1f} MB",
                printable(note),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )
