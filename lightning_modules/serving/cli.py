"""``paretolab models export`` (a verb of the core's ``models`` group, through the
``paretolab.model_commands`` entry points), ``paretolab predict`` and ``paretolab serve``
(``paretolab.commands``). torch loads only when a command runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register_model_verbs(verbs: argparse._SubParsersAction) -> None:
    """Add ``paretolab models export``."""
    p = verbs.add_parser(
        "export",
        help="a registered version as a folder: safetensors (or a transformers folder) or ONNX",
    )
    p.add_argument("ref", metavar="NAME[:VERSION|@ALIAS]")
    p.add_argument("--format", choices=["safetensors", "onnx"], default="safetensors")
    p.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    p.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    from lightning_modules.serving.export import export_version

    record = export_version(args.ref, args.format, Path(args.out))
    parity = record.get("onnx_parity")
    checked = (
        f"; ONNX Runtime matches PyTorch within {parity['max_abs_diff']:.1e} on "
        f"{parity['batches_checked']} real batches"
        if parity
        else ""
    )
    print(
        f"{record['model']} (run {record['run_id']}) as {record['format']}{checked}",
        file=sys.stderr,
    )
    print(args.out)
    return 0

