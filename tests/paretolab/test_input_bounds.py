"""Unit tests of the bounded YAML loader, the text limits and terminal escaping."""

from __future__ import annotations

import pytest

from paretolab import limits, settings, yaml_safe
from paretolab.errors import ConfigError, UserError
from paretolab.store import RunStore
from paretolab.terminal import printable
from sweeps.space import trial_config
from sweeps.spec import load_spec
from tests.conftest import queue_run, tiny_config
from tests.sweeps.conftest import write_spec


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("a: &x 1\n", "line 1: YAML anchors and aliases"),
        ("a: 1\nb: [1, *x]\n", "line 2: YAML anchors and aliases"),
        ("a: 1\nb: 2\na: 3\n", "line 3: duplicate key 'a' (first at line 1)"),
        ("a: {1: x, 1: y}\n", "duplicate key 1"),
        ("a: [1\n", "YAML syntax error at line 2"),
        ("x" * (limits.MAX_CONFIG_BYTES + 1), "over the limit of 1,000,000"),
    ],
    ids=["anchor", "alias", "duplicate", "duplicate-int", "syntax", "size"],
)
def test_the_loader_refuses(text, fragment) -> None:
    with pytest.raises(ConfigError) as info:
        yaml_safe.load(text, "f.yaml")
    assert str(info.value).startswith("f.yaml: ") and fragment in str(info.value)


def test_the_loader_reads_plain_yaml_as_safe_load_does() -> None:
    text = "a: 1\nb: [x, {c: 2.5}]\nd: null\n<<: {e: 1}\n"
    assert yaml_safe.load(text) == {"a": 1, "b": ["x", {"c": 2.5}], "d": None, "e": 1}
    assert yaml_safe.load("") is None and yaml_safe.load("# c\n") is None


def test_tags_and_text_limits() -> None:
    assert limits.tags_problem(["a"] * limits.MAX_TAGS) is None
    assert "65 tags" in limits.tags_problem(["a"] * (limits.MAX_TAGS + 1))
    assert "129 characters" in limits.tags_problem(["t" * 129])
    assert limits.text_problem("the notes", "n" * 5, 4) == (
        "the notes are 5 characters, at most 4 allowed; shorten it"
    )


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda s, i: s.set_tags(i, [f"t{n}" for n in range(65)]), "65 tags"),
        (lambda s, i: s.set_tags(i, ["x" * 10_000]), "10,000 characters"),
        (lambda s, i: s.set_notes(i, "n" * (limits.MAX_NOTES_CHARS + 1)), "the notes are 20,001"),
    ],
    ids=["tag-count", "tag-length", "notes"],
)
def test_the_store_refuses_edits_over_the_limits(edit, fragment, store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    with pytest.raises(UserError, match=fragment):
        edit(store, run_id)
    run = store.get_run(run_id)
    assert run.tags == ("tiny",) and run.notes == ""


def test_the_store_refuses_a_long_name_at_creation(store: RunStore) -> None:
    with pytest.raises(UserError, match="the name is 201 characters"):
        store.create_run({}, "n" * 201, "classification")
    assert store.list_runs() == []


def test_a_long_study_name_still_tags_its_trials(tmp_path) -> None:
    spec = load_spec(write_spec(tmp_path, study="s" * 100))
    assert f"sweep:{'s' * 100}" in trial_config(spec, {}).tags


def test_printable_escapes_control_characters() -> None:
    assert printable("a\x1b[31mb\x07\n\t\x9b\u202e") == "a\\x1b[31mb\\x07\\n\\t\\x9b\\u202e"
    assert printable("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"
    assert printable("plain ünïcode ✓") == "plain ünïcode ✓"


@pytest.mark.parametrize(
    "url", ["sqlite:///x.db", "sqlite://", "postgresql+psycopg://u:p@h/db", "postgresql://u@h/db"]
)
def test_urls_paretolab_can_use(url) -> None:
    settings.check_db_url(url)


def test_quoted_cuts_a_long_string_before_quoting_it() -> None:
    assert limits.quoted("x" * 1_000, 5) == "'xxxxx'… (995 more characters)"
    assert limits.quoted([1, 2, 3], 100) == "[1, 2, 3]"
    assert limits.quoted("short") == "'short'"
