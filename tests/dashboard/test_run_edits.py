"""The Run page's tags and notes: each run's own edit boxes, and a save that never overwrites
a change made elsewhere meanwhile (compare-and-set)."""

from __future__ import annotations

import threading

import pytest

from paretolab import limits
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page


@pytest.fixture
def nine_runs(store: RunStore) -> list[int]:
    """Runs 1–9; run 1 and run 9 carry their own tags and notes."""
    ids = [queue_run(store, tiny_config(f"name=r{i}")) for i in range(1, 10)]
    store.set_tags(1, ["one"])
    store.set_notes(1, "run one's notes")
    store.set_tags(9, ["nine", "ninth"])
    store.set_notes(9, "run nine's notes")
    return ids


def test_switching_runs_then_saving_keeps_the_other_runs_text(nine_runs, store) -> None:
    """Open run 9, pick run 1, press Save: run 1 keeps its own tags and notes."""
    at = open_page("views/run.py", run="9")
    at.selectbox(key="run_pick").set_value(1).run()
    assert at.text_input(key="run_tags_1").value == "one"
    assert at.text_area(key="run_notes_1").value == "run one's notes"
    at.button(key="run_save_notes_1").click().run()
    assert not at.exception and not at.error
    run1, run9 = store.get_run(1), store.get_run(9)
    assert (run1.tags, run1.notes) == (("one",), "run one's notes")
    assert (run9.tags, run9.notes) == (("nine", "ninth"), "run nine's notes")


def test_an_edit_saves_to_the_run_shown(nine_runs, store) -> None:
    at = open_page("views/run.py", run="9")
    at.selectbox(key="run_pick").set_value(1).run()
    at.text_input(key="run_tags_1").input("one, checked").run()
    at.text_area(key="run_notes_1").input("looked at").run()
    at.button(key="run_save_notes_1").click().run()
    assert not at.error
    assert (store.get_run(1).tags, store.get_run(1).notes) == (("checked", "one"), "looked at")
    at.text_area(key="run_notes_1").input("looked at twice").run()
    at.button(key="run_save_notes_1").click().run()  # a second save from the same page
    assert not at.error and store.get_run(1).notes == "looked at twice"
    assert store.get_run(9).notes == "run nine's notes"


def test_a_save_over_a_change_made_elsewhere_is_refused(nine_runs, store) -> None:
    at = open_page("views/run.py", run="1")
    store.set_notes(1, "a colleague's notes")  # another tab or user, after the page opened
    at.text_area(key="run_notes_1").input("mine").run()
    at.button(key="run_save_notes_1").click().run()
    assert "changed elsewhere" in at.error[0].value
    assert store.get_run(1).notes == "a colleague's notes"
    at.button(key="run_reload_edits_1").click().run()  # the boxes start again from the store
    assert not at.exception and not at.error
    assert at.text_area(key="run_notes_1").value == "a colleague's notes"
    at.text_area(key="run_notes_1").input("both of ours").run()
    at.button(key="run_save_notes_1").click().run()
    assert not at.error and store.get_run(1).notes == "both of ours"


def test_edit_tags_and_notes_compares_then_sets(any_store: RunStore) -> None:
    run_id = queue_run(any_store, tiny_config("tags=[]"))
    any_store.edit_tags_and_notes(run_id, [" b", "a", "a"], "first", ([], ""))
    assert any_store.get_run(run_id).tags == ("a", "b")
    with pytest.raises(UserError, match="changed elsewhere"):
        any_store.edit_tags_and_notes(run_id, ["c"], "second", (["a", "b"], "stale"))
    with pytest.raises(UserError, match="changed elsewhere"):
        any_store.edit_tags_and_notes(run_id, ["c"], "second", (["a"], "first"))
    run = any_store.get_run(run_id)
    assert (run.tags, run.notes) == (("a", "b"), "first")  # nothing written when refused
    any_store.edit_tags_and_notes(run_id, ["c"], "second", (["b", "a"], "first"))
    assert (any_store.get_run(run_id).tags, any_store.get_run(run_id).notes) == (("c",), "second")


def test_two_concurrent_saves_from_the_same_view_one_wins(any_store: RunStore) -> None:
    """Two editors who opened the same notes save at once: one is saved, one refused."""
    run_id = queue_run(any_store, tiny_config("tags=[]"))
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def save(text: str) -> None:
        start.wait()
        try:
            any_store.edit_tags_and_notes(run_id, [text], text, ([], ""))
        except UserError:
            outcomes.append("refused")
        else:
            outcomes.append(text)

    threads = [threading.Thread(target=save, args=(f"editor{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (winner,) = [o for o in outcomes if o != "refused"]
    assert outcomes.count("refused") == 7
    run = any_store.get_run(run_id)
    assert (run.tags, run.notes) == ((winner,), winner)


@pytest.mark.parametrize(
    "tags, notes, fragment",
    [
        ([f"t{i}" for i in range(limits.MAX_TAGS + 1)], "", "tags, at most"),
        (["x" * (limits.MAX_TAG_CHARS + 1)], "", "characters, at most"),
        ([], "n" * (limits.MAX_NOTES_CHARS + 1), "the notes are"),
    ],
)
def test_edits_over_the_limits_are_refused_and_nothing_is_written(
    store: RunStore, tags, notes, fragment
) -> None:
    run_id = queue_run(store, tiny_config("tags=[]"))
    with pytest.raises(UserError, match=fragment):
        store.edit_tags_and_notes(run_id, tags, notes, ([], ""))
    assert (store.get_run(run_id).tags, store.get_run(run_id).notes) == ((), "")
