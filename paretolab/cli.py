"""The ``paretolab`` command line: the entry point, its parser and its error handling.

Each command group registers itself (``register(subparsers)``) and sets ``handler`` —
``handler(args) -> exit code`` — as a default: ``train_cli`` (``train``, ``config``),
``runs_cli`` (``runs …``, ``executor``), ``cost_cli``, ``spend_cli``, ``budgets_cli``, ``models_cli``, ``host_cli``
(``devices``, ``db``), ``users_cli``, ``executors.slurm_cli``, and the plugin commands of the
packages above the core.
Bad input exits with code 2 and one line on stderr: ``paretolab: error: …``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from paretolab import (
    __version__,
    budgets_cli,
    cost_cli,
    host_cli,
    limits,
    models_cli,
    runs_cli,
    spend_cli,
    train_cli,
    users_cli,
)
from paretolab.errors import UserError
from paretolab.executors import slurm_cli
from paretolab.terminal import printable

# The core's command groups, in the order ``--help`` lists them; plugins come after.
COMMAND_GROUPS = (
    train_cli,
    runs_cli,
    cost_cli,
    spend_cli,
    budgets_cli,
    models_cli,
    host_cli,
    users_cli,
    slurm_cli,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"paretolab: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = _Parser(prog="paretolab", description="Train Transformers and see what quality costs.")
    p.add_argument("--version", action="version", version=f"paretolab {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    _add_plugin_commands(sub)
    return p


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:
    """Commands from the packages above the core (``sweep``, ``attention``, …).

    Imports run one way (dashboard → sweeps → lightning_modules → paretolab), so the core
    cannot import those packages; each registers its commands under the ``paretolab.commands``
    entry-point group instead (pyproject.toml). An entry point is ``register(subparsers)``: it
    adds its parser(s) and sets ``handler`` — ``handler(args) -> exit code`` — as a default.
    Its heavy imports (torch, optuna) belong inside the handler, so ``--help`` stays fast.
    """
    for entry in sorted(entry_points(group="paretolab.commands"), key=lambda e: e.name):
        entry.load()(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        # One line, however long or strange the input it quotes (a value, a file's text).
        line = limits.clip(printable(str(exc)), limits.MAX_ERROR_LINE_CHARS)
        print(f"paretolab: error: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `paretolab runs list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
