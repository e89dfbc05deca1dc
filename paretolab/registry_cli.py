"""``paretolab models register|list|show|alias|archive``: the model registry's verbs.

Who made a change is the OS user (as for ``paretolab train``); the registry records it in
its audit trail. Viewers are refused by the dashboard's services; the command line is for
people with a shell on the machine, as for runs.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime

from paretolab import auth, model_registry
from paretolab.store.registry_entities import ModelVersion
from paretolab.store.serving_results import ServingResult, ServingResults
from paretolab.terminal import echo, printable, text_table


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the registry's verbs to ``paretolab models``."""
    p = verbs.add_parser("register", help="register a run's checkpoint as a model version")
    p.add_argument("run_id", type=int, metavar="RUN", help="the run's id (`paretolab runs list`)")
    p.add_argument("--name", required=True, help="the model's name (made on first use)")
    p.add_argument("--checkpoint", choices=["best", "last"], default="best")
    p.add_argument("--description", default="", help="what this version is for")
    p.set_defaults(handler=_register)

    p = verbs.add_parser("list", help="registered models, their newest version and aliases")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_list)

    p = verbs.add_parser("show", help="a model's versions, or one version's lineage")
    p.add_argument("ref", metavar="NAME[:VERSION|@ALIAS]")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_show)

    p = verbs.add_parser("alias", help="point an alias (production, candidate…) at a version")
    p.add_argument("name", metavar="NAME")
    p.add_argument("version", type=int, metavar="VERSION")
    p.add_argument("alias", metavar="ALIAS")
    p.set_defaults(handler=_alias)

    p = verbs.add_parser("archive", help="archive a version (or bring it back with --undo)")
    p.add_argument("ref", metavar="NAME:VERSION")
    p.add_argument("--undo", action="store_true", help="unarchive")
    p.set_defaults(handler=_archive)


def _register(args: argparse.Namespace) -> int:
    v = model_registry.register_run(
        args.run_id, args.name, args.checkpoint, args.description, auth.os_user()
    )
    echo(f"registered run {v.run_id} ({v.checkpoint} checkpoint) as {v.ref}")
    return 0


def _list(args: argparse.Namespace) -> int:
    models = model_registry.registry().models()
    if args.json:
        print(json.dumps([asdict(m) for m in models], indent=2))
        return 0
    if not models:
        echo("no registered models: `paretolab models register RUN --name NAME`")
        return 0
    rows = [["NAME", "LATEST", "ALIASES", "DESCRIPTION"]]
    for m in models:
        aliases = ", ".join(f"@{a}=v{n}" for a, n in m.aliases.items()) or "-"
        rows.append([printable(m.name), f"v{m.latest_version}", aliases, printable(m.description)])
    echo(text_table(rows[0], rows[1:]))
    return 0


def _show(args: argparse.Namespace) -> int:
    name, version, alias = model_registry.parse_ref(args.ref)
    if version is None and alias is None:
        return _show_model(name, args.json)
    v = model_registry.resolve(args.ref)
    measured = ServingResults(model_registry.registry().engine).for_version(v.model, v.version)
    if args.json:
        print(json.dumps(asdict(v) | {"serving": [m.as_dict() for m in measured]}, indent=2))
    else:
        echo(version_text(v) + "\n" + serving_text(v, measured))
    return 0


def _show_model(name: str, as_json: bool) -> int:
    reg = model_registry.registry()
    versions, audit = reg.versions(name), reg.audit(name)
    if as_json:
        doc = {"versions": [asdict(v) for v in versions], "audit": [asdict(a) for a in audit]}
        print(json.dumps(doc, indent=2))
        return 0
    rows = [["VERSION", "ALIASES", "RUN", "CHECKPOINT", "METRICS", "REGISTERED", "STATE"]]
    for v in versions:
        rows.append(
            [
                f"v{v.version}",
                ", ".join("@" + a for a in v.aliases) or "-",
                str(v.run_id),
                v.checkpoint,
                _metrics_text(v, limit=2),
                _when(v.created_at),
                "archived" if v.archived else "active",
            ]
        )
    lines = [text_table(rows[0], rows[1:]), "", "audit:"]
    for a in audit:
        before = f" (was {a.previous})" if a.previous else ""
        lines.append(f"  {_when(a.at)}  {printable(a.who or '-')}  {a.action} {a.target}{before}")
    echo("\n".join(lines))
    return 0


def _alias(args: argparse.Namespace) -> int:
    reg = model_registry.registry()
    before = reg.set_alias(args.name, args.version, args.alias, auth.os_user())
    was = f" (was v{before})" if before is not None else ""
    echo(f"{args.name}@{args.alias} → v{args.version}{was}")
    return 0


def _archive(args: argparse.Namespace) -> int:
    v = model_registry.resolve(args.ref)
    model_registry.registry().set_archived(v.model, v.version, not args.undo, auth.os_user())
    echo(f"{v.ref} {'unarchived' if args.undo else 'archived'}")
    return 0


def version_text(v: ModelVersion) -> str:
    """A version's lineage as text: run, checkpoint, data, code, metrics, aliases."""
    data = v.lineage.get("data", {})
    source = data.get("dataset") or "-"
    if source == "file":
        source = f"{data.get('path')} (SHA-256 {str(data.get('sha256'))[:12]})"
    lines = [
        f"{v.ref}{'  (archived)' if v.archived else ''}",
        f"  aliases:     {', '.join('@' + a for a in v.aliases) or '-'}",
        f"  run:         {v.run_id} ({v.lineage.get('run_name', '-')}), task "
        f"{v.lineage.get('task', '-')}",
        f"  checkpoint:  {v.checkpoint} {v.checkpoint_path} (SHA-256 {v.checkpoint_sha256[:12]})",
        f"  data:        {source}",
        f"  code:        {v.lineage.get('code_commit') or 'unknown (not a git checkout)'}",
        f"  metrics:     {_metrics_text(v)}",
        f"  registered:  {_when(v.created_at)} by {v.created_by or '-'}",
        f"  description: {v.description or '-'}",
    ]
    return printable("\n".join(lines), keep_newlines=True)


def serving_text(v: ModelVersion, measured: list[ServingResult]) -> str:
    """The version's measured serving figures, one line per runtime and machine."""
    if not measured:
        return f"  serving:     not measured yet (`paretolab bench serve {v.ref}`)"
    lines = ["  serving (measured):"]
    for m in measured:
        lines.append(
            f"    {m.runtime:<8} p50 {m.p50_ms:.2f} ms, p95 {m.p95_ms:.2f}, p99 {m.p99_ms:.2f} "
            f"at batch 1; {m.throughput_rps:,.0f} requests/s at batch {m.best_batch}; "
            f"peak {m.peak_memory_mb:,.0f} MB; {printable(m.hardware)}"
        )
    return "\n".join(lines)


def _metrics_text(v: ModelVersion, limit: int | None = None) -> str:
    items = list(v.lineage.get("metrics", {}).items())[:limit]
    return ", ".join(f"{k}={val:.4g}" for k, val in items if val is not None) or "-"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
