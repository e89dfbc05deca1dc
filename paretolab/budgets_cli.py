"""``paretolab budgets add|list|set|remove``: spending limits and where they stand.

The command line is for people with the store's URL, as ``paretolab runs`` is; the dashboard
lets only admins change budgets (``dashboard/services/budgets.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from paretolab import auth
from paretolab.budgets import PERIODS, budget_status, check_budget
from paretolab.periods import parse_day
from paretolab.store import Budget, RunStore
from paretolab.terminal import echo, printable, text_table


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``paretolab budgets`` and its sub-commands."""
    budgets = subparsers.add_parser("budgets", help="spending limits: $ or device-hours")
    sub = budgets.add_subparsers(dest="budgets_command", required=True, parser_class=type(budgets))
    add = sub.add_parser("add", help="add a budget")
    add.add_argument("name")
    add.add_argument("--amount", type=float, required=True, help="$ (or device-hours)")
    _limits(add, defaults=True)
    add.set_defaults(handler=_add)
    change = sub.add_parser("set", help="change a budget (only what you give)")
    change.add_argument("name")
    change.add_argument("--amount", type=float)
    _limits(change, defaults=False)
    change.set_defaults(handler=_set)
    ls = sub.add_parser("list", help="budgets: spent so far and the forecast to period end")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=_list)
    rm = sub.add_parser("remove", help="remove a budget")
    rm.add_argument("name")
    rm.set_defaults(handler=_remove)


def _limits(p: argparse.ArgumentParser, defaults: bool) -> None:
    p.add_argument("--device-hours", action="store_true", help="the amount is device-hours")
    p.add_argument("--usd", action="store_true", help="the amount is $ (the default)")
    p.add_argument("--period", choices=PERIODS, default="month" if defaults else None)
    p.add_argument("--start", help="a custom period's first day, YYYY-MM-DD")
    p.add_argument("--end", help="a custom period's last day, YYYY-MM-DD")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--owner", help="only this owner's runs")
    scope.add_argument("--tag", help="only runs with this tag")
    scope.add_argument("--everyone", action="store_true", help="every run (the default)")
    hardness = p.add_mutually_exclusive_group()
    hardness.add_argument("--hard", action="store_true", help="refuse launches past it")
    hardness.add_argument("--soft", action="store_true", help="ask before launches past it")


def _changes(args: argparse.Namespace) -> dict:
    """The fields the flags give (none for flags left out)."""
    out: dict = {}
    if args.amount is not None:
        out["amount"] = args.amount
    if args.device_hours or args.usd:
        out["unit"] = "device_hours" if args.device_hours else "usd"
    if args.period:
        out["period"] = args.period
    if args.start:
        out["starts_at"] = parse_day(args.start, "--start")
    if args.end:
        out["ends_at"] = parse_day(args.end, "--end", end=True)
    if args.owner or args.tag or args.everyone:
        scope = "owner" if args.owner else "tag" if args.tag else "everyone"
        out |= {"scope": scope, "scope_value": args.owner or args.tag}
    if args.hard or args.soft:
        out["hard"] = args.hard
    return out


def _add(args: argparse.Namespace) -> int:
    store = RunStore()
    fields = {"unit": "usd", **_changes(args), "created_by": auth.os_user()}
    budget = store.add_budget(check_budget(Budget(name=args.name, **fields), store))
    echo(f"budget {printable(budget.name)} added")
    return 0


def _set(args: argparse.Namespace) -> int:
    store = RunStore()
    budget = dataclasses.replace(store.get_budget(args.name), **_changes(args))
    if budget.period != "custom":
        budget = dataclasses.replace(budget, starts_at=None, ends_at=None)
    store.replace_budget(check_budget(budget, store))
    echo(f"budget {printable(budget.name)} changed")
    return 0


def _remove(args: argparse.Namespace) -> int:
    RunStore().remove_budget(args.name)
    echo(f"budget {printable(args.name)} removed")
    return 0


def _list(args: argparse.Namespace) -> int:
    store = RunStore()
    statuses = [budget_status(store, b).as_dict() for b in store.list_budgets()]
    if args.json:
        echo(json.dumps(statuses, indent=2))
    elif not statuses:
        echo("no budgets yet: add one with `paretolab budgets add NAME --amount 5000`")
    else:
        echo(budgets_table(statuses))
    return 0


def budgets_table(statuses: list[dict]) -> str:
    """Budgets as a fixed-width table: amount, spent, share and the forecast's 90% range."""
    header = ["NAME", "SCOPE", "PERIOD", "AMOUNT", "SPENT", "USED", "FORECAST (90%)", "HARD"]
    unit = {"usd": "$", "device_hours": "dev-h "}
    rows = [
        [
            printable(s["name"])[:30],
            printable(s["scope"])[:30],
            f"{s['from']}..{s['until']}",
            f"{unit[s['unit']]}{s['amount']:,.0f}",
            f"{unit[s['unit']]}{s['spent']:,.2f}",
            f"{s['share']:.0%}",
            f"{s['forecast']:,.0f} ({s['forecast_low']:,.0f}-{s['forecast_high']:,.0f})",
            "hard" if s["hard"] else "soft",
        ]
        for s in statuses
    ]
    return text_table(header, rows)
