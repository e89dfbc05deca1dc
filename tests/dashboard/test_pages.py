"""Every page renders (AppTest, no browser) on an empty and a populated store, and works."""

import getpass
import json
import subprocess
import sys
import time

import pytest

from paretolab.config.io import load_config
from paretolab.executors.local import LocalExecutor
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run, tiny_config
from tests.dashboard.conftest import open_page

PAGES = [
    "views/runs.py",
    "views/launch.py",
    "views/run.py",
    "views/compare.py",
    "views/business.py",
    "views/spend.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_an_empty_store(page: str) -> None:
    open_page(page)


@pytest.fixture
def populated(store: RunStore) -> list[int]:
    ids = []
    for seed, acc in ((1, 0.7), (2, 0.8), (3, 0.75)):
        run_id = queue_run(store, tiny_config(f"trainer.seed={seed}", f"name=seed{seed}"))
        store.mark_running(run_id, pid=1, host="elsewhere")
        store.log_metrics(
            run_id,
            [("trainer/total_steps", 0, 100.0, 1.0)]
            + [("train_loss", s, 2.0 / (s + 1), 1.0 + s) for s in range(0, 100, 5)]
            + [("val_acc", s, acc * s / 99, 1.0 + s) for s in (33, 66, 99)],
        )
        ids.append(run_id)
    store.mark_finished(ids[0])
    store.set_tags(ids[1], ["best"])
    return ids


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_a_populated_store(page: str, populated: list[int]) -> None:
    at = open_page(page, run=str(populated[0]), runs=",".join(map(str, populated)))
    if page == "views/compare.py":  # one figure of curves, a subplot per shared metric
        (curves,) = at.get("plotly_chart")
        assert len(json.loads(curves.proto.spec)["layout"]["annotations"]) >= 2


def test_runs_table_shows_runs_metrics_and_filters(populated: list[int]) -> None:
    at = open_page("views/runs.py")
    frame = at.dataframe[0].value
    assert list(frame["name"]) == ["seed3", "seed2", "seed1"]
    assert frame.loc[frame["name"] == "seed2", "val_acc"].item() == pytest.approx(0.8)
    assert frame.loc[frame["name"] == "seed3", "progress"].item() == pytest.approx(0.99)
    at.multiselect(key="runs_status").select("finished").run()
    assert list(at.dataframe[0].value["name"]) == ["seed1"]
    at.multiselect(key="runs_status").unselect("finished").run()
    at.text_input(key="runs_text").input("seed2").run()
    assert list(at.dataframe[0].value["name"]) == ["seed2"]


def test_launch_form_creates_one_queued_run_even_on_double_click(store: RunStore) -> None:
    at = open_page("views/launch.py")
    at.number_input(key="cfg0.trainer.max_epochs").set_value(3).run()
    at.button(key="launch_button").click().run()
    at.button(key="launch_button").click().run()
    assert not at.exception
    runs = store.list_runs()
    assert len(runs) == 1 and runs[0].status == "queued"
    assert runs[0].config["trainer"]["max_epochs"] == 3
    assert "Run 1 is queued" in at.success[0].value


def test_launch_form_shows_validation_errors_beside_the_field(store: RunStore) -> None:
    at = open_page("views/launch.py")
    at.number_input(key="cfg0.model.n_heads").set_value(3).run()
    errors = [e.value for e in at.error]
    assert any("model.n_heads=3 must divide model.d_model=64" in e for e in errors), errors
    assert at.button(key="launch_button").disabled
    assert store.list_runs() == []


def test_clone_an_earlier_run_into_the_form(populated: list[int]) -> None:
    at = open_page("views/launch.py")
    at.radio(key="launch_source").set_value("earlier run").run()
    at.selectbox(key="launch_clone_run").set_value(populated[1]).run()
    at.button(key="launch_clone").click().run()
    assert at.text_input(key="cfg1.name").value == "seed2"
    assert at.number_input(key="cfg1.trainer.seed").value == 2


def test_cancel_from_the_run_page_stops_the_run(store: RunStore, monkeypatch) -> None:
    from paretolab.executors import launcher

    script = (
        "import os, signal, sys, time; from paretolab.store import RunStore; s = RunStore();"
        "rid = int(sys.argv[1]); s.mark_running(rid, os.getpid());"
        "signal.signal(signal.SIGTERM, lambda *a: (s.mark_cancelled(rid), sys.exit(130)));"
        "time.sleep(60)"
    )
    monkeypatch.setattr(
        launcher, "train_argv", lambda run_id: [sys.executable, "-c", script, str(run_id)]
    )
    run_id = queue_run(store, tiny_config())
    ex = LocalExecutor(store)
    ex.tick()
    time.sleep(1.5)  # the child installs its SIGTERM handler
    at = open_page("views/run.py", run=str(run_id))
    at.button(key="run_cancel").click().run()
    assert store.get_run(run_id).cancel_requested_at is not None
    deadline = time.monotonic() + 30
    while store.get_run(run_id).status != "cancelled":
        assert time.monotonic() < deadline, "run was not cancelled"
        ex.tick()
        time.sleep(0.2)
    ex._children[run_id].wait(timeout=10)


def test_run_page_refuses_artifact_paths_outside_the_run_folder(store: RunStore) -> None:
    from dashboard.services import artifact_files
    from paretolab.errors import UserError

    run_id = queue_run(store, tiny_config())
    store.add_artifact(run_id, "../../secret.txt", "log", 1)
    with pytest.raises(UserError, match="is not a file of run"):
        artifact_files.artifact_path(run_id, "../../secret.txt")
    with pytest.raises(UserError):
        artifact_files.artifact_path(run_id, "/etc/passwd")


def test_subprocess_helper_is_not_left_running() -> None:
    # Guard for this module: no stray children from the cancel test.
    out = subprocess.run(["pgrep", "-f", "time.sleep\\(60\\)"], capture_output=True, text=True)
    assert out.stdout.strip() == ""


def test_learning_rate_suggestion_fills_the_form(store: RunStore, monkeypatch) -> None:
    from dashboard.services import launch as launch_services

    asked = []

    def fake_suggest(config, what):
        asked.append((config.model.d_model, what))
        return {"lr": 0.0042, "curve": {"lr": [1e-4, 1e-3, 1e-2], "loss": [1.6, 1.2, 2.5]}}

    monkeypatch.setattr(launch_services, "suggest", fake_suggest)
    at = open_page("views/launch.py")
    at.button(key="launch_find_lr").click().run()
    assert asked == [(64, "lr")]  # the first preset's model (configs/first_run.yaml)
    assert any("Suggested optim.lr: **0.0042**" in i.value for i in at.info)
    at.button(key="launch_use_suggestion").click().run()
    assert not at.exception
    assert at.number_input(key="cfg1.optim.lr").value == pytest.approx(0.0042)


def test_run_page_shows_the_confusion_matrix(store: RunStore) -> None:

    from paretolab import settings

    run_id = queue_run(store, tiny_config())
    store.log_metrics(run_id, [("val_acc", 1, 0.5, 1.0)])
    folder = settings.run_dir(run_id)
    folder.mkdir(parents=True)
    (folder / "confusion_matrix.json").write_text(
        json.dumps({"labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]})
    )
    store.add_artifact(run_id, "confusion_matrix.json", "confusion_matrix", 50)
    at = open_page("views/run.py", run=str(run_id))
    charts = at.get("plotly_chart")
    assert any("confusion" in c.proto.spec for c in charts)


@pytest.mark.parametrize(
    ("preset", "family", "block"),
    [
        ("shakespeare_tiny", "decoder_lm", "decoder block"),
        ("digits_tiny", "vit", "patch embedding"),
        ("bbc_demo", "encoder_classifier", "encoder block"),
        ("num2words_tiny", "encoder_decoder", "cross-attention"),
    ],
)
def test_launch_page_draws_each_model_family(preset: str, family: str, block: str) -> None:
    at = open_page("views/launch.py")
    at.selectbox(key="launch_preset").set_value(preset).run()
    at.button(key="launch_load_preset").click().run()
    assert not at.exception
    assert at.selectbox(key="cfg1.model.family").value == family
    assert any(block in g.proto.spec for g in at.get("graphviz_chart"))


def test_run_page_lists_test_translations_and_filters_mistakes(store: RunStore) -> None:

    from paretolab import settings

    config = load_config(REPO / "configs" / "num2words_tiny.yaml")
    run_id = queue_run(store, config)
    store.log_metrics(run_id, [("val_exact_match", 1, 0.5, 1.0)])
    store.mark_running(run_id, pid=1)
    store.mark_finished(run_id)
    folder = settings.run_dir(run_id)
    folder.mkdir(parents=True)
    rows = [
        {"source": "one", "reference": "un", "prediction": "un", "exact": True, "group": "small"},
        {
            "source": "two",
            "reference": "deux",
            "prediction": "trois",
            "exact": False,
            "group": "small",
        },
    ]
    (folder / "translations.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    store.add_artifact(run_id, "translations.jsonl", "translations", 100)
    at = open_page("views/run.py", run=str(run_id))
    assert not at.exception
    assert len(at.dataframe[0].value) == 2
    at.checkbox(key="run_outputs_mistakes").check().run()
    assert at.dataframe[0].value["prediction"].tolist() == ["trois"]


def test_compare_tabs_run_only_when_open(populated: list[int]) -> None:
    at = open_page("views/compare.py", runs=",".join(map(str, populated)))
    assert "Metric" not in [box.label for box in at.selectbox]  # Final metrics has not run
    (curves,) = at.get("plotly_chart")  # one figure, a subplot per metric
    spec = json.loads(curves.proto.spec)
    assert [note["text"] for note in spec["layout"]["annotations"]] == ["val_acc", "train_loss"]
    legend = [t["name"] for t in spec["data"] if t.get("showlegend") is not False]
    assert len(legend) == 3  # each run once, though it is drawn in both subplots
    at.session_state["compare_tab"] = "Final metrics"
    at.run()
    assert not at.exception, at.exception
    assert "Metric" in [box.label for box in at.selectbox]
    assert len(at.get("plotly_chart")) == 1  # the bar chart only: the curves are not drawn


def test_links_open_old_runs_beyond_the_pickers_recent_list(store: RunStore) -> None:
    """?runs= and ?run= name runs older than the newest 1,000 the pickers list."""
    from benchmarks.dashboard_queries import populate

    oldest = populate(store, 1005, 2, 50)  # the two long runs are the first made
    at = open_page("views/compare.py", runs=",".join(map(str, oldest)))
    assert at.multiselect(key="compare_runs").value == oldest
    assert len(at.get("plotly_chart")) >= 1
    at = open_page("views/run.py", run=str(oldest[0]))
    assert at.selectbox(key="run_pick").value == oldest[0]
    assert not at.warning


def test_compare_groups_runs_into_mean_and_std_bands(populated: list[int]) -> None:
    at = open_page("views/compare.py", runs=",".join(map(str, populated)))
    box = at.selectbox(key="compare_group")
    assert "trainer.seed" in box.options
    box.set_value("trainer.seed").run()
    assert not at.exception, at.exception
    (curves,) = at.get("plotly_chart")
    spec = json.loads(curves.proto.spec)
    legend = [t["name"] for t in spec["data"] if t.get("showlegend") is not False]
    assert sorted(legend) == [f"trainer.seed={s} (n=1)" for s in (1, 2, 3)]  # a band per seed, once


@pytest.mark.slow
def test_a_launch_without_sign_in_is_owned_by_the_os_user_as_from_the_cli(
    store: RunStore,
) -> None:
    at = open_page("views/launch.py")
    at.button(key="launch_button").click().run()
    assert not at.exception
    (run,) = store.list_runs()
    assert run.owner == getpass.getuser()  # what `paretolab train` records without --owner
