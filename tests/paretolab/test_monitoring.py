"""System-metric names and a run's system summary: folds combined, the flag, `runs show`."""

from paretolab import monitoring as m
from paretolab.cli_text import run_report
from paretolab.store import LatestMetric, RunStore
from tests.conftest import queue_run, tiny_config


def latest(values: dict[str, float]) -> dict[str, LatestMetric]:
    return {k: LatestMetric(k, 10, v, 1.0) for k, v in values.items()}


def test_keys_are_parsed_with_their_fold_and_gpu() -> None:
    assert m.parse_key("system/rss_mb") == (None, None, "rss_mb")
    assert m.parse_key("fold1/system/gpu3/power_w") == ("fold1", 3, "power_w")
    assert m.parse_key("val_loss") is None and not m.is_system_key("cost/energy_kwh")
    assert m.gpu_key(2, m.GPU_UTIL) == "system/gpu2/util_percent"


def test_a_cross_validated_runs_summary_combines_its_folds() -> None:
    summary = m.system_summary(
        latest(
            {
                "fold0/system/peak_rss_mb": 900.0,
                "fold1/system/peak_rss_mb": 1100.0,
                "fold0/system/mean_gpu_util": 40.0,
                "fold1/system/mean_gpu_util": 70.0,
                "fold0/system/energy_kwh": 0.25,
                "fold1/system/energy_kwh": 0.5,
                "fold0/system/gpu0/util_percent": 1.0,  # a reading, not a run figure
            }
        )
    )
    assert summary["peak_rss_mb"] == 1100.0  # peaks: the largest
    assert summary["mean_gpu_util"] == 55.0  # means: their mean
    assert summary["energy_kwh"] == 0.75  # energy: the sum
    assert summary["peak_gpu_memory_mb"] is None and summary["low_util"] is None


def test_low_utilisation_is_flagged_under_half() -> None:
    assert (
        m.low_util_note(49.6) == "GPU utilisation averaged 50%: input-bound or too small a batch?"
    )
    assert m.low_util_note(50.0) is None and m.low_util_note(None) is None


def test_runs_show_prints_the_system_summary_and_flag(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    store.log_metrics(
        run_id,
        [(m.PEAK_RSS_MB, 10, 812.0, 1.0), (m.MEAN_GPU_UTIL, 10, 31.0, 1.0)],
    )
    report = run_report(store, run_id)
    assert "  system    peak process memory 812 MB · mean GPU utilisation 31%" in report
    assert "  flag      GPU utilisation averaged 31%: input-bound or too small a batch?" in report


def test_runs_show_names_how_the_energy_was_measured(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    store.log_metrics(
        run_id,
        [
            ("system/energy_cpu_rapl_kwh", 10, 0.002, 1.0),
            ("system/energy_dram_rapl_kwh", 10, 0.001, 1.0),
            (m.ENERGY_KWH, 10, 0.003, 1.0),
        ],
    )
    report = run_report(store, run_id)
    assert (
        "energy at the device 0.003 kWh (measured: RAPL, whole machine (CPU package, DRAM))"
        in report
    )
    assert (
        "  energy    3.3 Wh (measured: RAPL, whole machine (CPU package, DRAM))" in report
    )  # × PUE 1.1


def test_runs_show_labels_an_estimated_energy(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    store.log_metrics(run_id, [("cost/energy_kwh", 10, 2.5, 1.0)])
    assert "  energy    2.5 kWh (estimate: TDP × PUE)" in run_report(store, run_id)
