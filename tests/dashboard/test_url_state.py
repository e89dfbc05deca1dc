"""A page's state lives in its URL (issue 22, newcomer need 6): opening a link restores the
filters, columns, metric and x-axis it names, and changing them writes them back."""

from __future__ import annotations

from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page


def scored_runs(store: RunStore) -> list[int]:
    ids = [queue_run(store, tiny_config(f"optim.lr={lr}")) for lr in (0.01, 0.02)]
    for i, run_id in enumerate(ids):
        points = [("val_acc", s, 0.5 + 0.1 * s + i / 10, float(s)) for s in range(1, 4)]
        store.log_metrics(run_id, [*points, ("test_acc", 3, 0.7 + i / 10, 3.0)])
    return ids


def test_a_runs_link_brings_its_filters_and_columns(store: RunStore) -> None:
    scored_runs(store)
    at = open_page("views/runs.py", status="queued", q="tiny", columns="lr")
    assert at.multiselect(key="runs_status").value == ["queued"]
    assert at.text_input(key="runs_text").value == "tiny"
    assert "lr" in at.dataframe[0].proto.column_order
    assert "test" not in at.dataframe[0].proto.column_order  # the link's columns only
    at.text_input(key="runs_text").input("bbc").run()
    assert at.query_params["q"] == "bbc" and at.query_params["status"] == "queued"


def test_values_a_link_cannot_mean_are_ignored(store: RunStore) -> None:
    at = open_page("views/runs.py", status="nonsense", columns="no-such-column")
    assert at.multiselect(key="runs_status").value == []
    assert not at.exception


def test_a_compare_link_brings_its_axis_smoothing_and_metric(store: RunStore) -> None:
    first, second = scored_runs(store)
    at = open_page(
        "views/compare.py", runs=f"{first},{second}", x="wall", smooth="0.2", metric="test_acc"
    )
    assert at.radio(key="compare_x").value == "wall"
    assert at.slider(key="compare_smoothing").value == 0.2
    at.radio(key="compare_x").set_value("relative").run()
    assert at.query_params["x"] == "relative"
    assert at.query_params["metric"] == "test_acc"  # its tab is closed: the link keeps it
