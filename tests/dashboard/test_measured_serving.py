"""The What-quality-costs page registers a run on the frontier as a model, and shows
measured serving cost ($ per 1M requests, from ``paretolab bench serve``'s stored figures)
beside the FLOP estimate, saying which is which; the report carries both."""

from __future__ import annotations

from dashboard.services.business import projections as projection_services
from paretolab import model_registry, settings
from paretolab.costing.catalog import load_catalog
from paretolab.number_format import format_usd
from paretolab.store import RunStore
from paretolab.store.serving_results import ServingResult, ServingResults
from tests.dashboard.conftest import open_page
from tests.dashboard.test_business import costed  # noqa: F401 - a fixture

MEASURED = ServingResult("onnx", "cpu", "Test CPU × 2 threads", 2, 1.5, 2.0, 3.0, 32, 900.0, 400.0)


def register_measured(store: RunStore, run_id: int) -> float:
    """Register the run (with stand-in checkpoint files) and store a measurement; returns
    the dollars per million requests the page should show."""
    folder = settings.run_dir(run_id) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "best.ckpt").write_bytes(b"weights")
    model_registry.register_run(run_id, "priced", store=store)
    ServingResults(store.engine).add("priced", 1, MEASURED)
    hourly = load_catalog().device("cpu").price().usd_per_hour
    return hourly / (900.0 * 3600) * 1e6


def test_measured_cost_beside_the_estimate_on_the_page_and_in_the_report(
    costed: list[int],  # noqa: F811
    store: RunStore,
) -> None:
    run_id = costed[-1]
    expected = register_measured(store, run_id)
    [row] = projection_services.measured_serving(run_id).itertuples()
    assert abs(row.usd_per_million_requests - expected) < 1e-12
    assert (row.version, row.runtime, row.best_batch) == ("priced:1", "ONNX Runtime", 32)

    at = open_page("views/business.py")
    at.selectbox(key="biz_serve_run").set_value(run_id).run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Estimated from FLOPs (no measurement)" in captions
    assert (
        f"Measured: priced:1 on ONNX Runtime, Test CPU × 2 threads: {format_usd(expected)}"
        in captions
    )
    at.button(key="biz_report").click().run()
    document = at.session_state["biz_report_html"]
    assert "Estimated from FLOPs" in document and "Measured: priced:1" in document


def test_a_run_without_measurements_says_how_to_get_them(costed: list[int]) -> None:  # noqa: F811
    at = open_page("views/business.py")
    at.selectbox(key="biz_serve_run").set_value(costed[0]).run()
    captions = " ".join(c.value for c in at.caption)
    assert "Measured: none yet for this run" in captions and "paretolab bench serve" in captions


def test_a_run_on_the_frontier_is_registered_from_the_page(
    costed: list[int],  # noqa: F811
    store: RunStore,
) -> None:
    run_id = costed[-1]  # the best and dearest: on the frontier
    folder = settings.run_dir(run_id) / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "best.ckpt").write_bytes(b"weights")
    at = open_page("views/business.py")
    at.selectbox(key="biz_register_run").set_value(run_id).run()
    at.text_input(key="biz_register_name").set_value("frontier-pick")
    at.button(key="biz_register").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"registered run {run_id} as frontier-pick:1"]
    assert model_registry.resolve("frontier-pick", store).run_id == run_id
