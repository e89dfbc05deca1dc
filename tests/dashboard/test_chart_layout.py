"""Charts people can read (issue 22, defects 4 and 5): the report's frontier keeps its ticks
and titles apart, a dollar axis reads in dollars, the PDF prints no toolbar, and the
parallel coordinates keep their outer axes inside the figure."""

import pandas as pd

from dashboard.components.charts import parallel_figure
from dashboard.components.cost_charts import frontier_figure
from dashboard.services.business import report as report_services

POINTS = pd.DataFrame(
    {
        "name": ["a", "b", "c"],
        "usd": [2.91e-05, 3e-04, 4e-03],
        "val_acc": [0.62, 0.81, 0.9],
        "on_frontier": [True, True, True],
    }
)


def test_frontier_axes_have_room_and_readable_ticks() -> None:
    layout = frontier_figure(POINTS, "usd", "cost ($)", "val_acc").layout
    assert layout.margin.b >= 50 and layout.margin.l >= 60
    assert layout.xaxis.automargin and layout.yaxis.automargin
    assert layout.xaxis.title.standoff and layout.yaxis.title.standoff
    assert layout.yaxis.tickformat == ".2f"  # 0.90, not ".9"
    assert list(layout.xaxis.ticktext) == ["$0.00001", "$0.0001", "$0.001", "$0.01"]


def test_the_printed_report_hides_plotly_s_toolbar() -> None:
    fig = frontier_figure(POINTS, "usd", "cost ($)", "val_acc")
    document = report_services.report_html(report_services.Report("t", "s", [("x", [fig])]))
    assert "@media print { .modebar-container { display: none !important; } }" in document


def test_parallel_coordinates_keep_their_outer_axes_inside() -> None:
    frame = pd.DataFrame(
        {"optim.lr": [0.01, 0.003], "model.d_model": [32, 64], "val_acc": [0.5, 0.7]}
    )
    fig = parallel_figure(frame, ["optim.lr", "model.d_model", "val_acc"], "val_acc")
    assert fig.layout.margin.l >= 60 and fig.layout.margin.r >= 60
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["lr", "d_model", "val_acc"]
    assert {d.tickformat for d in dims} == {"~g"}
