"""Hostile configs, specs and settings: each refused fast, in one line, exit 2, nothing stored.

Alias bombs, oversized texts, duplicate keys, empty files, tags and notes past the limits,
database URLs paretolab cannot use, an export into a missing folder, and run names that
carry terminal escape codes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from dashboard.services.launch import yaml_config
from dashboard.services.sweeps import spec_from_text
from paretolab import limits
from paretolab.cli import main
from paretolab.errors import ConfigError
from paretolab.store import RunStore
from tests.bad_input.test_bad_input import assert_refused
from tests.conftest import REPO, TINY, queue_run, tiny_config
from tests.sweeps.conftest import write_spec

# "Billion laughs": 9 levels of 9 aliases each, 9**9 (387 million) strings once expanded.
BOMB_LEVELS = "\n".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]"
    for i in range(9)
)
BOMB = BOMB_LEVELS + "\ntags: *l8\n"
# The same bomb in flow style, as one `--set` value.
BOMB_VALUE = "[&a [x, x, x, x, x, x, x, x, x], [*a, *a, *a, *a, *a, *a, *a, *a, *a]]"


def refused_fast(argv: list[str], fragment: str, capsys, store: RunStore) -> None:
    started = time.perf_counter()
    assert_refused(argv, fragment, capsys, store)
    assert time.perf_counter() - started < 1.0


def test_the_bomb_is_a_real_one() -> None:
    assert len(BOMB) < 500
    # PyYAML's own safe_load would expand it: one level down already holds 9**8 strings.
    assert len(yaml.safe_load(BOMB_LEVELS.rsplit("\n", 6)[0])["l2"]) == 9


def test_an_alias_bomb_config_file(tmp_path, capsys, store) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    refused_fast(["train", str(path)], "line 1: YAML anchors and aliases", capsys, store)


def test_an_alias_bomb_in_a_set_value(capsys, store) -> None:
    refused_fast(["train", str(TINY), "--set", f"tags={BOMB_VALUE}"], "aliases", capsys, store)


def test_an_alias_bomb_pasted_into_load_yaml() -> None:
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="line 1: YAML anchors and aliases"):
        yaml_config(BOMB)
    assert time.perf_counter() - started < 1.0


def test_an_alias_bomb_in_a_sweep_spec_file(tmp_path, capsys, store) -> None:
    spec = write_spec(tmp_path)
    spec.write_text(spec.read_text() + BOMB_LEVELS.replace("l", "x") + "\n")
    refused_fast(["sweep", "run", str(spec)], "YAML anchors and aliases", capsys, store)


def test_an_alias_bomb_in_a_pasted_sweep_spec() -> None:
    started = time.perf_counter()
    spec, problems = spec_from_text("study: s\n" + BOMB_LEVELS + "\nfixed: {notes: *l8}\n")
    assert spec is None and problems == [
        "line 2: YAML anchors and aliases (&name, *name) are not allowed; write the value out"
    ]
    assert time.perf_counter() - started < 1.0


def test_a_5_mb_single_line_config(tmp_path, capsys, store) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("notes: " + "x" * 5_000_000)
    refused_fast(["train", str(path)], "5,000,007 bytes, over the limit", capsys, store)
    # refused_fast read the line; a second run shows its length.
    assert main(["train", str(path)]) == 2
    assert len(capsys.readouterr().err) < 300


def test_a_long_value_is_quoted_short(tmp_path, capsys, store) -> None:
    path = tmp_path / "long-notes.yaml"
    path.write_text("notes: " + "x" * 900_000)  # under the size limit, over the notes limit
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert "notes='xxx" in err and "more characters" in err and len(err) < 400
    assert store.list_runs() == []


def test_too_many_yaml_values(tmp_path, capsys, store) -> None:
    path = tmp_path / "many.yaml"
    path.write_text("tags: [" + ", ".join(["1"] * (limits.MAX_YAML_NODES + 1)) + "]\n")
    assert_refused(["train", str(path)], "more than 100,000 YAML values", capsys, store)


def test_the_whole_error_line_is_bounded(tmp_path, capsys, store) -> None:
    path = tmp_path / "unknown-keys.yaml"
    path.write_text("model:\n" + "".join(f"  unknown_{i}: 1\n" for i in range(100)))
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "more characters)" in err
    assert len(err) < limits.MAX_ERROR_LINE_CHARS + 100


@pytest.mark.parametrize(
    "text, fragment",
    [
        (
            "model:\n  d_model: 32\n  d_model: 64\n",
            "line 3: duplicate key 'd_model' (first at line 2)",
        ),
        ("model: {n_layers: 1}\nname: a\nmodel: {n_layers: 2}\n", "duplicate key 'model'"),
        ("optim: {lr: 0.1, lr: 0.2}\n", "line 1: duplicate key 'lr'"),
    ],
    ids=["block", "section", "flow"],
)
def test_a_duplicate_key(tmp_path, text, fragment, capsys, store) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    assert_refused(["train", str(path)], fragment, capsys, store)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_config_file(tmp_path, text, capsys, store) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    assert_refused(["train", str(path)], "the config is empty", capsys, store)


@pytest.mark.parametrize(
    "line, fragment",
    [
        (f"tags: [{', '.join(f't{i}' for i in range(10_000))}]", "10,000 tags, at most 64"),
        ("tags: [" + "t" * 10_000 + "]", "is 10,000 characters, at most 128"),
        ("notes: " + "n" * 20_001, "String should have at most 20000 characters"),
        ("name: " + "n" * 201, "at most 200 characters"),
    ],
    ids=["10k-tags", "10k-char-tag", "long-notes", "long-name"],
)
def test_text_fields_over_the_limits(tmp_path, line, fragment, capsys, store) -> None:
    path = tmp_path / "text.yaml"
    base = TINY.read_text().replace("tags: [tiny]\n", "").replace("name: tiny-bbc\n", "")
    path.write_text(base + line + "\n")
    assert_refused(["train", str(path)], fragment, capsys, store)


@pytest.mark.parametrize(
    "param, fragment",
    [
        ({"type": "int", "low": 1, "high": 4, "step": 5}, "step=5 is larger than the range 1..4"),
        ({"type": "float", "low": 0.1, "high": 0.2, "step": 0.5}, "step=0.5 is larger"),
    ],
    ids=["int", "float"],
)
def test_a_step_larger_than_its_range(tmp_path, param, fragment, capsys, store) -> None:
    spec = write_spec(tmp_path, parameters={"model.n_layers": param})
    assert_refused(["sweep", "run", str(spec)], fragment, capsys, store)
    assert not (Path(store.url.split("///")[-1]).parent / "sweeps").exists()


def test_a_sweep_whose_base_has_no_room_for_its_tag(tmp_path, capsys, store) -> None:
    base = yaml.safe_load((REPO / "configs" / "digits_tiny.yaml").read_text())
    base["tags"] = [f"t{i}" for i in range(limits.MAX_TAGS)]
    spec = write_spec(tmp_path, base=base)
    assert_refused(
        ["sweep", "run", str(spec)], "leave no room for the trials' 'sweep:", capsys, store
    )


def test_a_sweep_whose_fixed_tags_leave_no_room_for_its_tag(tmp_path, capsys, store) -> None:
    spec = write_spec(tmp_path, fixed={"tags": [f"t{i}" for i in range(limits.MAX_TAGS)]})
    assert_refused(["sweep", "run", str(spec)], "fixed.tags: 64 tags leave no room", capsys, store)


@pytest.mark.parametrize(
    "url, fragment",
    [
        (
            "mysql://user:secret@localhost/runs",
            "not mysql; use sqlite:///PATH or postgresql+psycopg",
        ),
        ("mysql+pymysql://user:secret@localhost/runs", "not mysql+pymysql"),
        ("postgres://user@localhost/runs", "not postgres;"),
        ("postgresql+psycopg2://user@localhost/runs", "use the psycopg driver"),
        ("not a url", "PARETOLAB_DB_URL is not a database URL"),
        ("postgresql+psycopg://user@localhost:port/runs", "is not a database URL"),
    ],
    ids=["mysql", "pymysql", "postgres-alias", "psycopg2", "words", "bad-port"],
)
def test_a_database_url_paretolab_cannot_use(url, fragment, monkeypatch, capsys, home) -> None:
    monkeypatch.setenv("PARETOLAB_DB_URL", url)
    for argv in (["runs", "list"], ["train", str(TINY)]):
        assert main(argv) == 2
        out = capsys.readouterr()
        assert out.err.count("\n") == 1 and fragment in out.err, out.err
        assert "secret" not in out.err and "Traceback" not in out.err


def test_an_export_into_a_missing_folder(tmp_path, capsys, store) -> None:
    run_id = queue_run(store, tiny_config())
    out = tmp_path / "no" / "such" / "folder" / "metrics.csv"
    assert main(["runs", "export", str(run_id), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist; create it" in err, err
    assert not out.parent.exists()


EVIL_NAME = "ok\x1b]0;pwned\x07\x1b[2J\x1b[31mred\nID  STATUS  fake row\u202etxt.exe"


def _evil_run(store: RunStore) -> None:
    run_id = store.create_run(
        tiny_config().model_dump(mode="json"),
        EVIL_NAME,
        "classification",
        tags=["\x1b[5mblink"],
        owner="eve\x1b[8m",
    ).id
    store.mark_failed(run_id, "boom\x1b]8;;http://evil\x07link\x1b]8;;\x07\nlast line\x1b[0m")


def test_control_characters_in_the_runs_list_are_escaped(capsys, store) -> None:
    _evil_run(store)
    assert main(["runs", "list"]) == 0
    shown = capsys.readouterr().out
    assert not any(c in shown for c in "\x1b\x07\u202e"), shown
    assert len(shown.splitlines()) == 2  # the header and one row: the newline made none
    assert "ok\\x1b]0;pwned\\x07" in shown and "eve\\x1b[8m" in shown


def test_control_characters_in_a_run_report_are_escaped(capsys, store) -> None:
    _evil_run(store)
    assert main(["runs", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert not any(c in shown for c in "\x1b\x07\u202e"), shown
    assert (
        "run 1: ok\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\nID  STATUS  fake row\\u202etxt" in shown
    )
    assert "\\x1b[5mblink" in shown and "boom\\x1b]8;;http://evil\\x07link" in shown


@pytest.mark.parametrize("value", ["name=*draft", "notes=&co", "notes=R&D: *the* plan"])
def test_a_set_value_with_a_star_or_ampersand_is_text(value) -> None:
    key, _, text = value.partition("=")
    assert getattr(tiny_config(value), key) == text
