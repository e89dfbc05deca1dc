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


def register_predict(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab predict``."""
    p = subparsers.add_parser(
        "predict", help="a registered model's predictions for texts or a file (CSV/JSONL)"
    )
    p.add_argument("ref", metavar="MODEL[:VERSION|@ALIAS]")
    p.add_argument("--text", action="append", help="a text to predict for (repeatable)")
    p.add_argument("--input", metavar="FILE", help="CSV/TSV/JSONL, .txt lines, or images")
    p.add_argument("--column", help="the input table's column (default: the run's own)")
    p.add_argument("--out", metavar="FILE", help=".csv or .jsonl (default: JSONL on stdout)")
    p.add_argument("--runtime", choices=["pytorch", "onnx"], default="pytorch")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--top-k", type=int, default=3, help="classes listed per prediction")
    p.set_defaults(handler=_predict)


def _predict(args: argparse.Namespace) -> int:
    from lightning_modules.serving.predict import predict, write_records

    records = predict(
        args.ref,
        texts=args.text,
        input_path=args.input,
        column=args.column,
        runtime=args.runtime,
        batch_size=max(1, args.batch_size),
        top_k=max(1, args.top_k),
        progress=True,
    )
    text = write_records(records, args.out)
    if text is not None:
        sys.stdout.write(text)
    else:
        print(f"{len(records)} predictions → {args.out}", file=sys.stderr)
    return 0


def register_serve(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab serve``."""
    p = subparsers.add_parser(
        "serve", help="serve a registered model with LitServe: POST /predict, GET /health"
    )
    p.add_argument("ref", metavar="MODEL[:VERSION|@ALIAS]")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--runtime", choices=["pytorch", "onnx"], default="pytorch")
    p.add_argument("--max-batch-size", type=int, default=16, help="dynamic batching's cap")
    p.add_argument(
        "--batch-timeout", type=float, default=0.01, help="seconds to wait to fill a batch"
    )
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from lightning_modules.serving.server import serve

    print(
        f"serving {args.ref} on http://{args.host}:{args.port} (/predict, /health)", file=sys.stderr
    )
    serve(
        args.ref,
        args.host,
        args.port,
        args.runtime,
        max(1, args.max_batch_size),
        args.batch_timeout,
    )
    return 0
