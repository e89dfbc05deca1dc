"""Every ``paretolab`` command has its own handler, registered beside its parser."""

from __future__ import annotations

import argparse

from paretolab.cli import build_parser


def leaf_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Each runnable command (a parser without sub-commands) and its words."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, parser)]
    return [
        leaf
        for action in subs
        for name, child in action.choices.items()
        for leaf in leaf_commands(child, (*path, name))
    ]


def test_every_command_registers_one_handler_of_its_own() -> None:
    leaves = leaf_commands(build_parser())
    words = {" ".join(path) for path, _ in leaves}
    assert {"train", "config", "runs resume", "executor", "cost estimate", "db check"} <= words
    missing = [" ".join(path) for path, p in leaves if not callable(p.get_default("handler"))]
    assert missing == []
    core = {
        " ".join(path): p.get_default("handler")
        for path, p in leaves
        if path[0] in {"train", "config", "runs", "executor", "devices"}
    }
    # One handler per command: no command shares another's (no dispatch on sub-command).
    assert len(set(core.values())) == len(core), core
