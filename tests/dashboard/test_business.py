"""The business page and its services: frontier, baseline, scaling, serving, report, demo."""

import html.parser
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.components.cost_charts import frontier_figure
from dashboard.services import access
from dashboard.services import launch as launch_services
from dashboard.services import runs as run_services
from dashboard.services.business import costs as cost_services
from dashboard.services.business import frontier as frontier_services
from dashboard.services.business import projections as projection_services
from dashboard.services.business import report as report_services
from paretolab import settings
from paretolab.errors import UserError
from paretolab.store import RunStore
from paretolab.store.schema import run_costs
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page

# (d_model, usd, flops, val_acc, val_loss): run 3 is dominated by run 2 (dearer, worse).
RUNS = [
    (16, 0.01, 1e12, 0.60, 1.20),
    (32, 0.02, 4e12, 0.70, 0.95),
    (48, 0.05, 9e12, 0.65, 1.00),
    (64, 0.08, 2e13, 0.80, 0.80),
    (96, 0.20, 6e13, 0.84, 0.72),
]


@pytest.fixture
def costed(store: RunStore) -> list[int]:
    """Finished runs on one split with cost figures and quality, as CostTracker stores them."""
    ids = []
    for d, usd, flops, acc, loss in RUNS:
        run_id = queue_run(store, tiny_config(f"model.d_model={d}", f"name=d{d}"))
        store.mark_running(run_id, pid=1)
        figures = {
            "usd": usd,
            "flops_estimated": flops,
            "device_hours": usd / 0.0816,
            "energy_kwh": usd / 10,
            "co2_kg": usd / 20,
            "tokens": 3e4,
            "params": d * 1000.0,
            "mfu": 0.05,
            "flops_ratio": 1.01,
        }
        points = [(f"cost/{k}", 10, v, 1.0) for k, v in figures.items()]
        points += [("val_acc", 10, acc, 1.0), ("val_loss", 10, loss, 1.0)]
        store.log_metrics(run_id, points)
        store.mark_finished(run_id)
        ids.append(run_id)
    return ids


def test_frontier_service_marks_dominated_runs_and_prices_each_step(costed) -> None:
    frame = cost_services.costs_frame()
    assert len(frontier_services.splits(frame)) == 1
    result = frontier_services.frontier(frame, "usd", "val_acc")
    on = result["points"].set_index("name")["on_frontier"]
    assert not on["d48"] and on[["d16", "d32", "d64", "d96"]].all()
    first = result["steps"].iloc[0]
    assert (first["from"], first["to"]) == ("d16", "d32")
    assert first["cost_per_point"] == pytest.approx(0.01 / 10)  # $0.01 for +10 points
    assert "+1 point of val_acc costs $0.001" in first["sentence"]


def test_scaling_projection_has_an_interval(costed) -> None:
    fitted = projection_services.scaling(cost_services.costs_frame(), "val_loss")
    answer = projection_services.project_target(fitted, 0.6, "h100-sxm", 8, 0.4)
    assert answer["flops"] > 6e13 and answer["usd"] > 0
    assert answer["flops_low"] <= answer["flops"] <= answer["flops_high"]


def test_business_page_renders_frontier_scaling_and_serving(costed) -> None:
    at = open_page("views/business.py")
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Pareto frontier" in spec for spec in charts)
    assert any("training FLOPs" in spec for spec in charts)  # the scaling fit
    text = " ".join(m.value for m in at.markdown)
    assert "+1 point of val_acc costs" in text
    assert "needs about" in text
    labels = [m.label for m in at.metric]
    assert "per 1M tokens" in labels and "per 1,000 requests" in labels
    at.selectbox(key="biz_cost").set_value("flops_estimated").run()
    assert not at.exception


def test_report_is_one_valid_html_file_with_its_figures_and_no_network(costed) -> None:
    at = open_page("views/business.py")
    at.button(key="biz_report").click().run()
    assert not at.exception
    document = at.session_state["biz_report_html"]
    parser = html.parser.HTMLParser()
    parser.feed(document)
    parser.close()
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    assert document.count('class="plotly-graph-div"') >= 2  # frontier and scaling
    assert "Plotly" in document and "<script src=" not in document  # plotly.js inline
    assert "2026-06" in document  # assumptions carry their dates


def test_report_prints_to_pdf_with_chromium(costed) -> None:
    figure = report_services.Report("t", "s", [("section", ["a paragraph", ["a bullet"]])])
    pdf = report_services.report_pdf(report_services.report_html(figure))
    assert pdf.startswith(b"%PDF")


def test_baseline_result_shows_on_the_page(costed, store) -> None:
    key = frontier_services.split_of_run(costed[0])
    result = {
        "split_key": key,
        "model": "TF-IDF (word 1–2-grams) + logistic regression",
        "metrics": {"val_acc": 0.9},
        "cost": {"cost_usd": 0.0002, "device_hours": 0.003, "device_name": "CPU"},
        "wall_seconds": 1.5,
        "examples": {"train": 240, "val": 30, "test": 30},
    }
    from paretolab.baselines import save_baseline

    save_baseline(key, result)
    at = open_page("views/business.py")
    assert "0 of 5 Transformer runs beat it" in " ".join(m.value for m in at.markdown)
    assert any("classical baseline" in c.proto.spec for c in at.get("plotly_chart"))


def test_run_page_cost_tab_shows_figures_and_what_ifs(costed) -> None:
    at = open_page("views/run.py", run=str(costed[1]))
    labels = {m.label: m.value for m in at.metric}
    assert labels["Cost"] == "$0.02" and labels["Measured ÷ estimated FLOPs"] == "1.010"
    what_if = at.dataframe[-1].value
    assert {"h100-sxm", "cpu", "t4"} <= set(what_if["hardware"])


def test_measured_energy_wins_over_the_tdp_estimate(store, costed) -> None:
    store.log_metrics(costed[0], [("system/energy_kwh", 10, 0.5, 1.0)])
    figures = cost_services.run_cost(costed[0])["figures"]
    # Measured device energy × the catalog's PUE (1.1): facility energy, like the estimate.
    assert figures["energy_kwh_measured_device"] == 0.5
    assert figures["energy_kwh"] == pytest.approx(0.55)
    # Recorded before the parts existed: only NVML power samples were measured then.
    assert figures["energy_method"] == "nvml_power"
    assert figures["energy_source"] == "measured: NVML power samples (GPU)"
    assert figures["energy_kwh_tdp_estimate"] == pytest.approx(0.001)
    assert figures["co2_kg"] == pytest.approx(0.55 * 0.5)  # the run's own intensity (co2/kWh)


def test_each_measured_part_names_its_method_in_store_tab_and_report(store, costed) -> None:
    run_id = costed[0]
    store.log_metrics(
        run_id,
        [
            ("system/energy_gpu_nvml_energy_kwh", 10, 0.4, 1.0),
            ("system/energy_cpu_rapl_kwh", 10, 0.08, 1.0),
            ("system/energy_dram_rapl_kwh", 10, 0.02, 1.0),
            ("system/energy_kwh", 10, 0.5, 1.0),
            ("system/gpu_other_processes", 10, 2.0, 1.0),
        ],
    )
    figures = cost_services.run_cost(run_id)["figures"]
    assert figures["energy_kwh"] == pytest.approx(0.55)  # the parts' sum × PUE 1.1
    assert figures["energy_method"] == "nvml_energy+rapl"
    assert figures["energy_source"] == (
        "measured: NVML energy counter (GPU) + RAPL, whole machine (CPU package, DRAM); "
        "whole GPU, shared with 2 other processes"
    )
    row = {r["group"]: r for r in store.spend(by="task")}[store.get_run(run_id).task]
    assert row["energy_kwh_measured"] == pytest.approx(0.55)
    with store.engine.connect() as conn:
        query = sa.select(run_costs.c.run_id, run_costs.c.energy_method)
        methods = dict(conn.execute(query).all())
    assert methods[run_id] == "nvml_energy+rapl" and methods[costed[1]] == "tdp_estimate"

    at = open_page("views/run.py", run=str(run_id))
    energy = next(m for m in at.metric if m.label == "Energy (kWh)")
    assert energy.value == "0.55" and energy.proto.delta.startswith("measured: NVML energy")
    assert any("CPU package 0.08 kWh (RAPL, whole machine)" in c.value for c in at.caption)

    at = open_page("views/business.py")
    at.button(key="biz_report").click().run()
    document = at.session_state["biz_report_html"]
    assert (
        "measured: NVML energy counter (GPU) + RAPL, whole machine (CPU package, DRAM)" in document
    )
    assert "estimate: TDP × PUE" in document  # the runs that measured nothing


def test_on_a_cpu_the_estimate_is_labelled_wherever_energy_shows(costed) -> None:
    at = open_page("views/run.py", run=str(costed[1]))
    energy = next(m for m in at.metric if m.label == "Energy (kWh)")
    assert energy.proto.delta == "estimate: TDP × PUE"
    what_if = at.dataframe[-1].value
    assert set(what_if["energy_method"]) == {"estimate: TDP × PUE"}
    at = open_page("views/spend.py")
    energy = next(m for m in at.metric if m.label == "Energy")
    assert "estimate: TDP × PUE" in energy.proto.delta
    at = open_page("views/business.py")
    frontier = at.dataframe[0].value
    assert set(frontier["energy_source"]) == {"estimate: TDP × PUE"}


def test_demo_mode_hides_and_refuses_every_change(costed, store, monkeypatch) -> None:
    monkeypatch.setenv(settings.DEMO_ENV, "1")
    config = tiny_config()
    with pytest.raises(access.DemoModeError, match="read-only demo"):
        launch_services.launch(config, "k")
    with pytest.raises(access.DemoModeError):
        run_services.cancel(costed[0])
    with pytest.raises(access.DemoModeError):
        run_services.delete_runs([costed[0]])
    with pytest.raises(access.DemoModeError):
        run_services.set_notes(costed[0], "changed")
    with pytest.raises(access.DemoModeError):
        frontier_services.train_baseline(costed[0])
    assert len(store.list_runs()) == len(RUNS) and store.get_run(costed[0]).notes == ""
    runs = open_page("views/runs.py")
    assert not [b for b in runs.button if b.key in ("runs_delete", "runs_archive")]
    page = open_page("views/business.py")
    assert not [b for b in page.button if b.key == "biz_baseline"]


def test_demo_mode_run_page_has_no_cancel(store, monkeypatch) -> None:
    monkeypatch.setenv(settings.DEMO_ENV, "1")
    run_id = queue_run(store, tiny_config())
    at = open_page("views/run.py", run=str(run_id))
    assert not [b for b in at.button if b.key == "run_cancel"]
    assert at.text_area(key=f"run_notes_{run_id}").disabled


def test_train_baseline_on_the_runs_split(costed, monkeypatch) -> None:
    from lightning_modules import baseline

    config = tiny_config()
    result = baseline.train_baseline(config)
    assert result["split_key"] == frontier_services.split_of_run(costed[0])
    assert result["examples"] == {"train": 240, "val": 30, "test": 30}  # the runs' split
    assert 0.0 <= result["metrics"]["test_acc"] <= 1.0 and result["cost"]["cost_usd"] > 0
    with pytest.raises(UserError, match="no classical baseline for task"):
        baseline.train_baseline(tiny_config("task=masked_lm", "trainer.monitor=val_loss"))


def test_cost_json_of_a_run_feeds_the_cost_tab(store, costed) -> None:
    folder = settings.run_dir(costed[0])
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "assumptions": {"hardware": "cpu", "batch_measured": {"measured": 2.0, "estimated": 1.0}}
    }
    (folder / "cost.json").write_text(json.dumps(doc))
    store.add_artifact(costed[0], "cost.json", "cost", 10)
    assert cost_services.run_cost(costed[0])["assumptions"]["hardware"] == "cpu"


def test_cross_validated_runs_add_up_their_folds() -> None:
    from paretolab.store import LatestMetric

    latest = {
        k: LatestMetric(k, 1, v, 1.0)
        for k, v in {
            "fold0/cost/usd": 0.1,
            "fold1/cost/usd": 0.3,
            "fold0/cost/mfu": 0.2,
            "fold1/cost/mfu": 0.4,
            "val_acc": 0.8,
        }.items()
    }
    figures = cost_services.cost_figures(latest)
    assert figures["usd"] == pytest.approx(0.4) and figures["mfu"] == pytest.approx(0.3)


def test_launch_form_flags_an_unknown_hardware_profile(store) -> None:
    values = tiny_config("hardware.profile=v100").model_dump(mode="json")
    config, problems = launch_services.validate(values)
    assert config is None
    assert problems[0].startswith("hardware.profile: hardware 'v100' is not in the catalog")


def test_frontier_legend_shows_even_when_every_run_is_on_the_frontier() -> None:
    """Plotly hides a one-trace legend by default; the frontier must stay labelled."""
    points = pd.DataFrame(
        {"name": ["a", "b"], "usd": [1.0, 2.0], "acc": [0.5, 0.7], "on_frontier": [True, True]}
    )
    fig = frontier_figure(points, "usd", "training cost ($)", "acc")
    assert fig.layout.showlegend is True
    assert [trace.name for trace in fig.data] == ["Pareto frontier"]
