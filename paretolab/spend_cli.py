"""``paretolab spend``: $, device-hours and kWh over time, grouped (a table, or JSON)."""

from __future__ import annotations

import argparse
import json

from paretolab.costing.energy_methods import describe_split
from paretolab.periods import parse_day
from paretolab.store import RunStore
from paretolab.store.spend import GROUPS, PERIODS
from paretolab.terminal import echo, printable, text_table


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab spend``."""
    p = subparsers.add_parser(
        "spend",
        help="what runs cost over time, by owner, tag, task, sweep or hardware",
        description="Spend of runs dated by their start (UTC): recorded bills, and the burn "
        "so far of running runs and of runs stopped before their bill (estimated). Failed "
        "and cancelled runs are waste.",
    )
    p.add_argument("--by", choices=GROUPS, help="group the spend (a run counts under each tag)")
    p.add_argument("--period", choices=PERIODS, default="month", help="default: month")
    p.add_argument("--since", help="first day counted, YYYY-MM-DD or YYYY-MM")
    p.add_argument("--until", help="last day counted (whole day or month), YYYY-MM-DD or YYYY-MM")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(handler=_spend)


def _spend(args: argparse.Namespace) -> int:
    since = parse_day(args.since, "--since") if args.since else None
    until = parse_day(args.until, "--until", end=True) if args.until else None
    rows = RunStore().spend(by=args.by, period=args.period, since=since, until=until)
    echo(json.dumps(rows, indent=2) if args.json else spend_table(rows, args.by))
    return 0


def spend_table(rows: list[dict], by: str | None) -> str:
    """The rows as a fixed-width table, with a line on what is estimated or unpriced."""
    if not rows:
        return "no spend in that window (runs are dated by their start, UTC)"
    header = ["PERIOD", (by or "all").upper(), "USD", "DEVICE_H", "KWH", "WASTE_USD"]
    header += ["RUNNING_USD", "ESTIMATED_USD", "RUNS"]
    body = [
        [
            r["period"],
            printable(r["group"])[:30],
            *(f"{r[k]:,.2f}" for k in ("usd", "device_hours", "energy_kwh", "usd_waste")),
            *(f"{r[k]:,.2f}" for k in ("usd_running", "usd_estimated")),
            str(r["runs"]),
        ]
        for r in rows
    ]
    notes = [
        "waste: failed and cancelled runs; estimated: burn rate × time held (no bill recorded)"
    ]
    kwh = describe_split(
        sum(r["energy_kwh"] for r in rows), sum(r["energy_kwh_measured"] for r in rows)
    )
    notes.append(f"energy {kwh}")
    unpriced = sum(r["runs_unpriced"] for r in rows)
    if unpriced:
        notes.append(f"{unpriced} started run(s) have neither a bill nor a priced hardware entry")
    if by == "tag":
        notes.append("a run with several tags counts under each")
    return text_table(header, body) + "\n" + "\n".join(notes)
