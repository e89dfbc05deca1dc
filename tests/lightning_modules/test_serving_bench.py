"""``paretolab bench serve``'s measurement: both runtimes measured on real examples, the
figures stored with the hardware, and shown by ``models show`` and the model card."""

from __future__ import annotations

import pytest

from lightning_modules.serving.bench import bench_serving
from lightning_modules.serving.export import export_version
from paretolab import model_registry
from paretolab.cli import main
from paretolab.devices import cpu_name
from paretolab.store import RunStore
from paretolab.store.serving_results import ServingResults
from tests.conftest import TrainedRuns


@pytest.mark.slow
def test_both_runtimes_are_measured_stored_and_shown(
    trained_home: TrainedRuns, tmp_path, capsys
) -> None:
    model_registry.register_run(trained_home.ids["encoder_classifier"], "benched")
    results = bench_serving("benched", threads=1, requests=30, seconds_per_batch=0.02)
    assert [r.runtime for r in results] == ["pytorch", "onnx"]
    for r in results:
        assert 0 < r.p50_ms <= r.p95_ms <= r.p99_ms
        assert r.hardware == f"{cpu_name()} × 1 threads" and r.threads == 1
        by_batch = {int(k): v for k, v in r.details["throughput_by_batch"].items()}
        assert r.throughput_rps == max(by_batch.values()) == by_batch[r.best_batch]
        assert r.peak_memory_mb > 50  # the process's resident memory, torch loaded
    stored = ServingResults(RunStore().engine).for_version("benched", 1)
    assert [(s.runtime, s.p50_ms) for s in stored] == [
        (r.runtime, r.p50_ms)
        for r in reversed(results)  # newest first
    ]
    assert main(["models", "show", "benched:1"]) == 0
    shown = capsys.readouterr().out
    assert "serving (measured):" in shown and f"p50 {results[1].p50_ms:.2f} ms" in shown
    export_version("benched", "safetensors", tmp_path / "card")
    card = (tmp_path / "card" / "README.md").read_text(encoding="utf-8")
    assert f"| onnx | {results[1].hardware} | {results[1].p50_ms:.2f} |" in card
