"""Compare charts stay quick to draw: each run's line is thinned as runs are added."""

import math

from dashboard.services import run_detail as detail_services
from tests.conftest import queue_run, tiny_config


def test_twenty_runs_on_one_chart_draw_600_points_each_one_run_all(store) -> None:
    ids = [queue_run(store, tiny_config()) for _ in range(20)]
    for run_id in ids:
        points = [
            ("loss", s, math.sin(s / 50) + (9.0 if s == 1234 else 0.0), float(s))
            for s in range(5000)
        ]
        store.log_metrics(run_id, points)
    many = detail_services.metric_series(ids, "loss")
    assert many.groupby("run").size().max() <= 600
    assert (many["value"] > 5).sum() == 20  # every run's spike survives the thinning
    one = detail_services.metric_series(ids[:1], "loss")
    assert 1000 < len(one) <= 2000  # the store's preview, as before
