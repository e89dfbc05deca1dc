"""``paretolab models register|list|show|alias|archive`` end to end through the CLI."""

from __future__ import annotations

import json

from paretolab.cli import main
from paretolab.store import RunStore
from tests.paretolab.test_model_registry import run_with_checkpoints


def test_register_alias_show_list_archive(store: RunStore, capsys) -> None:
    first, second = run_with_checkpoints(store), run_with_checkpoints(store)
    assert main(["models", "register", str(first), "--name", "bbc", "--description", "v one"]) == 0
    assert main(["models", "register", str(second), "--name", "bbc", "--checkpoint", "last"]) == 0
    assert main(["models", "alias", "bbc", "1", "production"]) == 0
    assert main(["models", "alias", "bbc", "2", "production"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"registered run {first} (best checkpoint) as bbc:1",
        f"registered run {second} (last checkpoint) as bbc:2",
        "bbc@production → v1",
        "bbc@production → v2 (was v1)",
    ]
    assert main(["models", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == [
        "bbc",
        "v2",
        "@production=v2",
        "v",
        "one",
    ]
    assert main(["models", "show", "bbc@production"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("bbc:2\n  aliases:     @production\n")
    assert "metrics:     val_acc=0.75" in shown
    assert main(["models", "show", "bbc"]) == 0
    table = capsys.readouterr().out
    assert "alias production → v2 (was v1)" in table
    assert main(["models", "archive", "bbc:1"]) == 0
    assert capsys.readouterr().out == "bbc:1 archived\n"
    assert main(["models", "show", "bbc:1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["archived"] is True
    assert main(["models", "show", "bbc", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(v["version"], v["archived"]) for v in doc["versions"]] == [(2, False), (1, True)]
    assert doc["audit"][-1]["action"] == "archive"


def test_unknown_names_give_one_line(store: RunStore, capsys) -> None:
    for argv in (
        ["models", "show", "nope"],
        ["models", "show", "nope@production"],
        ["models", "alias", "nope", "1", "production"],
        ["models", "register", "99", "--name", "m"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("paretolab: error: ") and err.count("\n") == 1, err
