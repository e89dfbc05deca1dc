"""Numbers for people (issue 22, defect 7): money, FLOPs, CO₂e and metrics by magnitude,
the same in `paretolab runs show` and the dashboard."""

import re

import pytest

from paretolab.cli_text import run_report
from paretolab.number_format import format_count, format_metric, format_number, format_usd
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.5, "$1,234.50"),
        (0.123, "$0.12"),
        (2.91e-05, "$0.000029"),
        (3e-05, "$0.00003"),
        (0.001, "$0.001"),
        (0.0012, "$0.0012"),
        (4e-09, "< $0.000001"),
        (0.0, "$0"),
        (None, "—"),
    ],
)
def test_money_reads_in_plain_decimals(value, text) -> None:
    assert format_usd(value) == text


def test_counts_units_and_metrics_by_magnitude() -> None:
    assert format_count(22841671680.0, "FLOPs") == "22.8 GFLOPs"
    assert format_count(30981) == "31 k"
    assert format_metric("cost/flops_estimated", 22841671680.0) == "22.8 GFLOPs"
    assert format_metric("cost/co2_kg", 0.0012) == "1.2 g CO₂e"
    assert format_metric("cost/energy_kwh", 2.5) == "2.5 kWh"
    assert format_metric("cost/energy_kwh", 0.004) == "4 Wh"
    assert format_metric("cost/flops_ratio", 1.0123) == "1.012"
    assert format_number(0.81254) == "0.8125" and format_number(123456.0) == "123,456"
    assert format_number(3.2e-07) == "3.2e-07" and format_number(0.0) == "0"


def test_runs_show_hides_no_real_value(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    points = {
        "cost/usd": 2.91e-05,
        "cost/co2_kg": 0.0012,
        "cost/flops_estimated": 22841671680.0,
        "val_acc": 0.8125,
    }
    store.log_metrics(run_id, [(k, 10, v, 1.0) for k, v in points.items()])
    report = run_report(store, run_id)
    assert not re.search(r"\s0\.0000\s", report) and "22841671680" not in report
    for text in ("$0.000029", "1.2 g CO₂e", "22.8 GFLOPs", "0.8125"):
        assert text in report
