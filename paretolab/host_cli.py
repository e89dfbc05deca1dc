"""``paretolab devices`` and ``paretolab db``: this host's devices and its run store's schema."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from paretolab import devices, gpu_inventory, gpu_status, settings
from paretolab.errors import UserError
from paretolab.store import RunStore
from paretolab.store import database as db


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab devices`` and ``paretolab db``."""
    dev = subparsers.add_parser(
        "devices",
        help="what this machine can train on: CPU, memory, GPUs and their catalog entries, "
        "and which run holds each GPU",
    )
    dev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    dev.set_defaults(handler=_devices)

    dbp = subparsers.add_parser("db", help="the run store's schema")
    dsub = dbp.add_subparsers(dest="db_command", required=True, parser_class=type(dbp))
    upgrade = dsub.add_parser("upgrade", help="migrate the database to this paretolab's schema")
    upgrade.set_defaults(handler=lambda args: _on_database(_upgrade))
    check = dsub.add_parser(
        "check", help="print the database's schema revision and whether it fits"
    )
    check.set_defaults(handler=lambda args: _on_database(_check))


def _devices(args: argparse.Namespace) -> int:
    machine = devices.detect()
    inventory = gpu_inventory.inventory()
    # The store only for GPUs to show holders of: on a CPU machine `devices` neither
    # creates a database nor needs one reachable.
    gpus = gpu_status.gpu_statuses(RunStore(), gpus=inventory) if inventory else []
    if args.json:
        print(json.dumps({**machine.as_dict(), "gpu_queue": [asdict(g) for g in gpus]}, indent=2))
    else:
        print(devices.devices_table(machine) + "\n\n" + gpu_status.gpu_table(gpus))
    return 0


def _on_database(command: Any) -> int:
    """Run ``command(engine, where)`` on the configured database; an unreachable one is a
    user's error (one line, exit 2), not a traceback."""
    import sqlalchemy as sa

    where = settings.redact_url(settings.db_url())
    try:
        return command(db.get_engine(settings.db_url()), where)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, sa.exc.DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UserError(f"cannot reach the database at {where}: {reason}") from None


def _upgrade(engine: Any, where: str) -> int:
    db.upgrade(engine)
    print(f"{where}: at schema revision {db.current_revision(engine)}")
    return 0


def _check(engine: Any, where: str) -> int:
    current, head = db.current_revision(engine), db.head_revision()
    print(f"{where}: schema revision {current or '(empty)'}, this paretolab needs {head}")
    return 0 if current in (head, None) else 1
