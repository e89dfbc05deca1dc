"""Hardware in the dashboard: the launch form offers only this machine's devices (and the
services refuse the others), the Devices panel, system charts on the run and compare pages,
the runs table's system columns and the low-utilisation flag."""

import pandas as pd
import pytest

from dashboard.services import compare as compare_services
from dashboard.services import launch as launch_services
from dashboard.services import runs as run_services
from dashboard.services import system as system_services
from paretolab import devices
from paretolab import monitoring as m
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import open_page
from tests.paretolab.test_devices import CPU_ONLY, TWO_T4


def test_launch_form_offers_only_this_machines_accelerators_and_precisions(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devices, "detect", lambda: TWO_T4)
    at = open_page("views/launch.py")
    accelerator = at.selectbox(key="cfg0.hardware.accelerator")
    assert accelerator.options == ["auto", "cpu", "gpu"]  # no MPS here
    # auto is a GPU here, and these GPUs have no native bf16.
    assert at.selectbox(key="cfg0.trainer.precision").options == ["32", "16-mixed"]
    assert at.number_input(key="cfg0.hardware.devices").max == 2
    accelerator.set_value("cpu").run()
    assert at.selectbox(key="cfg0.trainer.precision").options == ["32", "bf16-mixed"]
    assert at.number_input(key="cfg0.hardware.devices").max == 4
    devices_table = at.dataframe[0].value  # the Devices panel, atop the page
    assert list(devices_table["device"]) == ["cpu", "cuda:0", "cuda:1"]
    assert list(devices_table["bf16"]) == [True, False, False]


def test_a_config_for_missing_hardware_is_refused_before_anything_is_stored(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devices, "detect", lambda: CPU_ONLY)
    values = tiny_config("hardware.accelerator=gpu").model_dump(mode="json")
    config, problems = launch_services.validate(values)
    assert config is None
    assert problems == [
        "hardware.accelerator=gpu: this machine has no CUDA device (see `paretolab devices`); "
        "use cpu or auto"
    ]
    with pytest.raises(UserError, match="no CUDA device"):
        launch_services.launch(tiny_config("hardware.accelerator=gpu"), "key")
    assert store.list_runs() == []
    # In the form, a loaded config asking for a GPU is shown on what exists, and says so.
    at = open_page("views/launch.py")
    at.radio(key="launch_source").set_value("YAML").run()
    at.text_area(key="launch_yaml_text").input("hardware: {accelerator: gpu}\n").run()
    at.button(key="launch_load_yaml").click().run()
    assert at.selectbox(key="cfg1.hardware.accelerator").value == "auto"
    assert any("`gpu` cannot be used on this machine" in c.value for c in at.caption)


def log_system_run(store: RunStore, util: float, name: str) -> int:
    """A finished run with training curves and system metrics, as a GPU run stores them."""
    run_id = queue_run(store, tiny_config(f"name={name}"))
    store.mark_running(run_id, pid=1)
    points = [("train_loss", s, 1.0 / (s + 1), float(s)) for s in range(0, 50, 5)]
    for s in range(0, 50, 5):
        points += [
            (m.CPU_PERCENT, s, 40.0, float(s)),
            (m.RSS_MB, s, 900.0 + s, float(s)),
            (m.gpu_key(0, m.GPU_UTIL), s, util, float(s)),
            (m.gpu_key(0, m.GPU_MEMORY_USED), s, 3000.0, float(s)),
            (m.gpu_key(0, m.GPU_POWER), s, 250.0, float(s)),
            (m.ENERGY_KWH, s, s * 1e-4, float(s)),
        ]
    points += [
        (m.PEAK_RSS_MB, 45, 945.0, 45.0),
        (m.PEAK_GPU_MEMORY_MB, 45, 3000.0, 45.0),
        (m.MEAN_GPU_UTIL, 45, util, 45.0),
        (m.MEAN_CPU_PERCENT, 45, 40.0, 45.0),
    ]
    store.log_metrics(run_id, points)
    store.mark_finished(run_id)
    return run_id


def chart_titles(at) -> list[str]:
    import json

    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_run_page_shows_system_charts_under_the_curves_and_flags_low_utilisation(
    store: RunStore,
) -> None:
    run_id = log_system_run(store, util=30.0, name="starved")
    at = open_page("views/run.py", run=str(run_id))
    titles = chart_titles(at)
    assert titles[0] == "train_loss"  # training curves first, system/* not among them
    assert sorted(titles[1:]) == sorted(
        [
            "GPU utilisation (%)",
            "GPU memory (MB)",
            "GPU power (W)",
            "CPU (%)",
            "Process memory, RSS (MB)",
            "Measured energy at the device (kWh)",
        ]
    )
    assert [s.value for s in at.subheader] == ["System"]
    assert at.warning[0].value == "GPU utilisation averaged 30%: input-bound or too small a batch?"
    assert any("peak process memory 945 MB" in c.value for c in at.caption)


def subplot_titles(at) -> list[str]:
    import json

    return [
        note["text"]
        for c in at.get("plotly_chart")
        for note in json.loads(c.proto.spec)["layout"].get("annotations", [])
    ]


def test_compare_page_overlays_the_runs_system_charts(store: RunStore) -> None:
    ids = [log_system_run(store, 30.0, "starved"), log_system_run(store, 90.0, "busy")]
    at = open_page("views/compare.py", runs=",".join(map(str, ids)))
    assert len(at.get("plotly_chart")) == 2  # the curves and the system charts, a figure each
    assert "GPU utilisation (%)" in subplot_titles(at)
    assert [w.value for w in at.warning] == [
        f"{ids[0]} · starved: GPU utilisation averaged 30%: input-bound or too small a batch?"
    ]
    table = compare_services.compare_table(ids).set_index("name")
    assert table.loc["busy", m.MEAN_GPU_UTIL] == 90.0 and m.RSS_MB not in table.columns


def test_runs_table_has_system_columns_and_the_flag(store: RunStore) -> None:
    ids = [log_system_run(store, 30.0, "starved"), log_system_run(store, 90.0, "busy")]
    cpu_only = store.create_run({}, "no-gpu", "classification").id  # no GPU figures at all
    frame, _ = run_services.runs_frame()
    rows = frame.set_index("id")
    assert rows.loc[ids[0], "peak_rss_mb"] == 945.0 and rows.loc[ids[1], "mean_gpu_util"] == 90.0
    assert rows.loc[ids[0], "util_flag"].endswith("input-bound or too small a batch?")
    assert pd.isna(rows.loc[ids[1], "util_flag"])
    assert pd.isna(rows.loc[cpu_only, "mean_gpu_util"]) and pd.isna(rows.loc[cpu_only, "util_flag"])
    at = open_page("views/runs.py")
    shown = at.dataframe[0].proto.column_order
    assert "peak_rss_mb" not in shown  # hidden until asked for
    at.toggle(key="runs_system").set_value(True).run()
    assert {"peak_rss_mb", "peak_gpu_mem_mb", "mean_gpu_util", "util_flag"} <= set(
        at.dataframe[0].proto.column_order
    )


def test_runs_sent_to_slurm_are_checked_as_jobs_not_against_this_machine(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devices, "detect", lambda: CPU_ONLY)  # a login node without GPUs
    many_nodes = tiny_config("hardware.accelerator=gpu", "hardware.num_nodes=2")
    assert system_services.hardware_problems(many_nodes)[0].startswith(
        "hardware.num_nodes=2: a multi-node run is started on every node by Slurm"
    )
    monkeypatch.setenv("PARETOLAB_EXECUTOR", "slurm")
    assert system_services.launch_limits("auto") == {"hardware.accelerator": ["gpu", "cpu"]}
    assert system_services.hardware_problems(many_nodes) == []
    [problem] = system_services.hardware_problems(tiny_config())  # accelerator: auto
    assert problem.startswith("hardware.accelerator=auto: a Slurm job asks for its devices")


def test_the_runs_grid_leads_with_the_monitored_and_test_metrics(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config())
    figures = {"val_acc": 0.91, "val_loss": 0.3, "test_acc": 0.88}
    store.log_metrics(run_id, [(key, 5, value, 1.0) for key, value in figures.items()])
    frame, _ = run_services.runs_frame()
    row = frame.set_index("id").loc[run_id]
    assert (row["monitor"], row["monitored"], row["test"]) == ("val_acc", 0.91, 0.88)
    at = open_page("views/runs.py")
    shown = list(at.dataframe[0].proto.column_order)
    assert {"monitor", "monitored", "test"} <= set(shown)
    assert "lr" not in shown and "val_f1" not in shown  # a narrow table: no scrolling
    at.multiselect(key="runs_columns").select("lr").run()
    assert "lr" in at.dataframe[0].proto.column_order
