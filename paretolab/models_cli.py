"""``paretolab models``: the model registry's verbs (``registry_cli``) and ``models
available``, the pretrained models on this machine for ``model.pretrained``.

Plain ``paretolab models`` still lists the pretrained models (as it did before the
registry), with a hint to the registry's verbs on stderr. Packages above the core add verbs
that need torch (``export``) through the ``paretolab.model_commands`` entry-point group.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import entry_points

from paretolab import model_catalog, registry_cli
from paretolab.model_sources import hf_cache_dir, models_home
from paretolab.terminal import echo, printable, text_table


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab models`` and its verbs."""
    models = subparsers.add_parser(
        "models",
        help="the model registry (register, list, show, alias, export…) and `models "
        "available`: pretrained models on this machine",
    )
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.set_defaults(handler=_plain_models)
    verbs = models.add_subparsers(dest="verb", metavar="VERB", parser_class=type(models))
    available = verbs.add_parser(
        "available",
        help="pretrained models on this machine: models home, model packages, the HF cache",
    )
    available.add_argument("--json", action="store_true", help="print JSON instead of a table")
    available.set_defaults(handler=_available)
    registry_cli.register(verbs)
    for entry in sorted(entry_points(group="paretolab.model_commands"), key=lambda e: e.name):
        entry.load()(verbs)


def _plain_models(args: argparse.Namespace) -> int:
    print(
        "(pretrained models on this machine; the registry: `paretolab models list`, "
        "`paretolab models --help`)",
        file=sys.stderr,
    )
    return _available(args)


def _available(args: argparse.Namespace) -> int:
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
    return text_table(rows[0], rows[1:])
