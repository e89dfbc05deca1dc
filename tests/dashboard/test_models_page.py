"""The Models page (versions, lineage link, card, measured serving, alias moves, export) and
registering a run from its Run page."""

from __future__ import annotations

import io
import zipfile

import pytest

from dashboard.services import models as model_services
from paretolab import model_registry
from paretolab.store import RunStore
from paretolab.store.serving_results import ServingResult, ServingResults
from tests.conftest import TrainedRuns
from tests.dashboard.conftest import open_page
from tests.paretolab.test_model_registry import run_with_checkpoints


def finished_run(store: RunStore) -> int:
    run_id = run_with_checkpoints(store)
    store.mark_running(run_id, pid=1)
    store.mark_finished(run_id)
    return run_id


def test_register_a_run_from_its_page(store: RunStore) -> None:
    run_id = finished_run(store)
    at = open_page("views/run.py", run=str(run_id))
    at.text_input(key=f"run_register_name_{run_id}").set_value("from-page")
    at.text_input(key=f"run_register_about_{run_id}").set_value("picked on the page")
    at.button(key=f"run_register_{run_id}").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["registered as from-page:1"]
    version = model_registry.resolve("from-page", store)
    assert (version.run_id, version.description) == (run_id, "picked on the page")


def test_the_models_page_shows_versions_card_serving_and_moves_aliases(store: RunStore) -> None:
    run_id = finished_run(store)
    for _ in range(2):
        model_registry.register_run(run_id, "shown", store=store)
    figures = ServingResult("onnx", "cpu", "Test CPU × 2 threads", 2, 1.25, 2.0, 3.0, 8, 500, 300)
    ServingResults(store.engine).add("shown", 1, figures)
    at = open_page("views/models.py", model="shown")
    [table, *_] = at.dataframe
    assert list(table.value["version"]) == [2, 1]
    at.selectbox(key="models_version").set_value(1).run()
    text = " ".join(m.value for m in at.markdown)
    assert "# shown:1" in text and "| val_acc | 0.75 |" in text  # the card, from the store
    assert "| onnx | Test CPU × 2 threads | 1.25 |" in text  # measured serving in the card
    serving = at.dataframe[1].value
    assert list(serving["p50_ms"]) == [1.25] and serving["usd_per_million_requests"][0] > 0
    at.text_input(key="models_alias").set_value("production")
    at.button(key="models_set_alias").click().run()
    assert not at.exception
    assert model_registry.resolve("shown@production", store).version == 1
    assert [a.action for a in model_services.audit("shown")][-1] == "alias"


def test_an_export_downloads_as_a_zip(trained_home: TrainedRuns) -> None:
    model_registry.register_run(trained_home.ids["encoder_classifier"], "zipped")
    data = model_services.export_zip("zipped", 1, "safetensors")
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    folder = "zipped-v1-safetensors"
    assert {f"{folder}/model.safetensors", f"{folder}/README.md", f"{folder}/config.json"} <= names


@pytest.mark.slow
def test_measure_now_on_the_page_stores_serving_figures(trained_home: TrainedRuns) -> None:
    model_registry.register_run(trained_home.ids["encoder_classifier"], "measure-me")
    at = open_page("views/models.py", model="measure-me")
    assert any("Not measured yet" in i.value for i in at.info)
    at.button(key="models_measure").click().run()
    assert not at.exception, at.exception
    measured = ServingResults(RunStore().engine).for_version("measure-me", 1)
    assert sorted(m.runtime for m in measured) == ["onnx", "pytorch"]
    assert all(m.p50_ms > 0 and m.throughput_rps > 0 for m in measured)
    frame = model_services.serving_frame("measure-me", 1)
    assert frame["usd_per_million_requests"].notna().all()  # shown with its price
