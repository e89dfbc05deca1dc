"""The headline metric first (issue 22, newcomer need 3): Compare orders metrics from the
runs' monitored one, not alphabetically from cost/co2_kg; test metrics, one value each, are
a table on the Run page, not a one-point line chart apiece."""

import pytest

from dashboard.services import compare as compare_services
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page


@pytest.fixture
def two_runs(store: RunStore) -> list[int]:
    ids = []
    for d in (16, 32):
        run_id = queue_run(store, tiny_config(f"model.d_model={d}"))  # monitor: val_acc
        store.mark_running(run_id, pid=1)
        points = [("val_acc", s, 0.5 + s / 100, 1.0) for s in (10, 20, 30)]
        points += [("val_loss", s, 1.0 - s / 100, 1.0) for s in (10, 20, 30)]
        points += [("test_acc", 31, 0.7, 1.0), ("cost/co2_kg", 31, 1e-6, 1.0)]
        store.log_metrics(run_id, points)
        store.mark_finished(run_id)
        ids.append(run_id)
    return ids


def test_compare_puts_the_monitored_metric_first(two_runs) -> None:
    keys = ["cost/co2_kg", "test_acc", "val_loss", "val_acc"]
    assert compare_services.headline_first(two_runs, keys) == [
        "val_acc",
        "test_acc",
        "val_loss",
        "cost/co2_kg",
    ]
    at = open_page("views/compare.py", runs=",".join(map(str, two_runs)))
    assert not at.exception


def test_run_page_shows_test_metrics_as_a_table(two_runs) -> None:
    at = open_page("views/run.py", run=str(two_runs[0]))
    (table,) = [d for d in at.dataframe if "test_acc" in d.value.columns]
    assert table.value["test_acc"].iloc[0] == pytest.approx(0.7)
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any('"text":"val_acc"' in c.replace(" ", "") for c in charts)
    assert not any('"text":"test_acc"' in c.replace(" ", "") for c in charts)
