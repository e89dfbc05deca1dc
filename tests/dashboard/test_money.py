"""Money for people on the stakeholder page (issue 22, newcomer need 5): "$0.000029", never
"$2.91e-05", in its figures, its tables, its chart's axis and hover, and the report."""

import pytest

from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page


@pytest.fixture
def cheap_runs(store: RunStore) -> None:
    """Finished runs that cost fractions of a cent, as tiny CPU runs do."""
    for d, usd, acc in ((16, 2.91e-05, 0.6), (32, 4.2e-05, 0.7), (64, 9e-05, 0.8)):
        run_id = queue_run(store, tiny_config(f"model.d_model={d}", f"name=d{d}"))
        store.mark_running(run_id, pid=1)
        figures = {"usd": usd, "flops_estimated": 2.3e10 * d, "co2_kg": usd / 20}
        points = [(f"cost/{k}", 10, v, 1.0) for k, v in figures.items()]
        store.log_metrics(run_id, [*points, ("val_acc", 10, acc, 1.0)])
        store.mark_finished(run_id)


@pytest.mark.slow
def test_small_costs_read_in_plain_dollars(cheap_runs) -> None:
    at = open_page("views/business.py")
    at.selectbox(key="biz_metric").set_value("val_acc").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cheapest run"] == "$0.000029"
    frontier_table = at.dataframe[0].value
    assert sorted(frontier_table["usd"]) == ["$0.000029", "$0.000042", "$0.00009"]
    (chart,) = [c for c in at.get("plotly_chart") if "Pareto frontier" in c.proto.spec]
    assert '"ticktext":["$0.00001","$0.0001"]' in chart.proto.spec.replace(" ", "")
    at.button(key="biz_report").click().run()
    document = at.session_state["biz_report_html"]
    assert "$0.000029" in document and "$2.91e-05" not in document
